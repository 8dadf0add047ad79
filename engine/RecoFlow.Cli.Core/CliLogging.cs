using System.Globalization;
using Akka.Configuration;
using RecoFlow.Runtime.Execution;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace RecoFlow.Cli;

/// <summary>
/// The structured logs of one <c>recoflow</c> command that runs an actor system (<c>node</c>, <c>run</c>,
/// <c>demo</c>), set up from <c>recoflow.logging</c> (reference.conf): Serilog with plain text on standard error and
/// rolling compact-JSON files under the state directory. Akka's logging is routed into it by Akka.Logger.Serilog
/// (<see cref="AkkaConfig"/>), so message-template properties of the engine's log lines (<c>{JobId}</c>,
/// <c>{CheckpointId}</c>, <c>{TaskId}</c>) become properties of the events.
/// </summary>
/// <remarks>
/// Akka.Logger.Serilog writes to Serilog's process-wide <see cref="Log.Logger"/>: <see cref="Start"/> replaces it,
/// and disposing puts back the silent logger if it is still this one. One command per process is the CLI's case;
/// two commands run at once in one process (tests) share whichever logger was set last.
/// </remarks>
public sealed class CliLogging : IDisposable
{
    private readonly Logger _logger;

    private CliLogging(Logger logger, Config akkaConfig, string? file)
    {
        _logger = logger;
        AkkaConfig = akkaConfig;
        FilePattern = file;
    }

    /// <summary>
    /// A Microsoft.Extensions.Logging provider writing into this pipeline (ASP.NET Core's lines of a node's HTTP
    /// layer, for example), so nothing but a command's output goes to standard output.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerProvider LoggerProvider() => new Serilog.Extensions.Logging.SerilogLoggerProvider(_logger);

    /// <summary>A Microsoft.Extensions.Logging factory writing into this pipeline (for the connectors' logs).</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory LoggerFactory() => new Serilog.Extensions.Logging.SerilogLoggerFactory(_logger);

    /// <summary>HOCON to put in front of the actor system's configuration: the Serilog logger and the log level.</summary>
    public Config AkkaConfig { get; }

    /// <summary>Path of the log files before Serilog adds the date (and a sequence number); null: no files.</summary>
    public string? FilePattern { get; }

    /// <summary>
    /// Starts logging for a command. <paramref name="config"/> is the command's configuration (falling back to the
    /// runtime's reference.conf here); files go to <c>recoflow.logging.directory</c> under
    /// <paramref name="stateDirectory"/> (none without one), named <paramref name="fileStem"/>-DATE.json.
    /// <paramref name="properties"/> are added to every event (e.g. the node's address).
    /// </summary>
    public static CliLogging Start(Config config, string? stateDirectory, string fileStem, IReadOnlyDictionary<string, string>? properties = null)
    {
        var c = config.WithFallback(RuntimeSettings.ReferenceConfig).GetConfig("recoflow.logging");
        var consoleLevel = Level(c, "console-level");
        var fileLevel = Level(c, "file-level");
        var directory = c.GetString("directory", "");
        string? file = null;
        if (stateDirectory is not null && directory.Length > 0 && fileLevel is not null)
            file = Path.Combine(Path.GetFullPath(Path.Combine(stateDirectory, directory)), fileStem + "-.json");
        else fileLevel = null;

        var minimum = new[] { consoleLevel, fileLevel }.Where(l => l is not null).Select(l => l!.Value).DefaultIfEmpty(LogEventLevel.Fatal).Min();
        var logger = new LoggerConfiguration().MinimumLevel.Is(minimum).Enrich.FromLogContext();
        foreach (var (k, v) in properties ?? new Dictionary<string, string>()) logger = logger.Enrich.WithProperty(k, v);
        if (consoleLevel is { } cl)
            logger = logger.WriteTo.Console(
                restrictedToMinimumLevel: cl,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose,
                formatProvider: CultureInfo.InvariantCulture);
        if (file is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            logger = logger.WriteTo.File(
                new CompactJsonFormatter(),
                file,
                restrictedToMinimumLevel: fileLevel!.Value,
                fileSizeLimitBytes: c.GetByteSize("file-size-limit"),
                rollOnFileSizeLimit: true,
                rollingInterval: Interval(c.GetString("rolling-interval")),
                retainedFileCountLimit: c.GetInt("retained-files"));
        }
        var built = logger.CreateLogger();
        Log.Logger = built;

        var akkaLevel = consoleLevel is null && fileLevel is null ? "OFF" : minimum switch
        {
            LogEventLevel.Verbose or LogEventLevel.Debug => "DEBUG",
            LogEventLevel.Information => "INFO",
            LogEventLevel.Warning => "WARNING",
            _ => "ERROR",
        };
        var akka = ConfigurationFactory.ParseString($$"""
            akka.loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
            akka.loglevel = {{akkaLevel}}
            """);
        return new CliLogging(built, akka, file);
    }

    private static LogEventLevel? Level(Config c, string key)
    {
        var value = c.GetString(key);
        return value.ToUpperInvariant() switch
        {
            "DEBUG" => LogEventLevel.Debug,
            "INFO" => LogEventLevel.Information,
            "WARNING" => LogEventLevel.Warning,
            "ERROR" => LogEventLevel.Error,
            "OFF" => null,
            _ => throw new UsageException($"recoflow.logging.{key}: '{value}' is not one of DEBUG, INFO, WARNING, ERROR, OFF"),
        };
    }

    private static RollingInterval Interval(string value) => value.ToUpperInvariant() switch
    {
        "DAY" => RollingInterval.Day,
        "HOUR" => RollingInterval.Hour,
        "INFINITE" => RollingInterval.Infinite,
        _ => throw new UsageException($"recoflow.logging.rolling-interval: '{value}' is not one of day, hour, infinite"),
    };

    /// <summary>Flushes and closes the files; the process-wide logger goes back to silent if it is still this one.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(Log.Logger, _logger)) Log.Logger = Logger.None;
        _logger.Dispose();
    }
}
