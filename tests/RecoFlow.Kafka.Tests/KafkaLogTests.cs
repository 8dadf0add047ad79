using Microsoft.Extensions.Logging;
using RecoFlow.Connectors.Kafka;

namespace RecoFlow.Kafka.Tests;

/// <summary>The Kafka connectors log through the host's Microsoft.Extensions.Logging factory once it is set.</summary>
public sealed class KafkaLogTests
{
    private sealed class Capture : ILoggerFactory, ILogger
    {
        public List<(string Category, LogLevel Level, string Text)> Lines { get; } = [];
        private string _category = "";

        public ILogger CreateLogger(string categoryName)
        {
            _category = categoryName;
            return this;
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines) Lines.Add((_category, logLevel, formatter(state, exception)));
        }

        public bool IsEnabled(LogLevel logLevel) => true;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }
    }

    [Fact]
    public void Lines_go_to_the_hosts_logger_at_the_level_they_announce()
    {
        var capture = new Capture();
        var before = KafkaLog.LoggerFactory;
        KafkaLog.LoggerFactory = capture;
        try
        {
            var id = Guid.NewGuid().ToString("N");
            KafkaLog.Default($"waiting for Kafka {{braces}} {id}");
            KafkaLog.Default($"warning: orders-0: starts at the log start {id}");
            KafkaLog.Default($"error: dead-letter topic unreachable {id}");
            List<(string Category, LogLevel Level, string Text)> mine;
            lock (capture.Lines) mine = capture.Lines.Where(l => l.Text.EndsWith(id, StringComparison.Ordinal)).ToList();
            Assert.Equal([LogLevel.Information, LogLevel.Warning, LogLevel.Error], mine.Select(l => l.Level));
            Assert.All(mine, l => Assert.Equal(KafkaLog.Category, l.Category));
            Assert.Equal($"waiting for Kafka {{braces}} {id}", mine[0].Text);
        }
        finally
        {
            KafkaLog.LoggerFactory = before;
        }
    }
}
