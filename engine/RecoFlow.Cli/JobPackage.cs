using System.IO.Compression;

namespace RecoFlow.Cli;

/// <summary>
/// What <c>recoflow submit</c> sends for a user's job: a single assembly as it is, or a package, the zip of the job
/// project's published folder (its assembly, its <c>*.deps.json</c> and its own dependencies), zipped here from the
/// folder or read as a zip. The node loads a package's dependencies from it (AssemblyDependencyResolver).
/// </summary>
public static class JobPackage
{
    public static async Task<byte[]> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (Directory.Exists(path))
        {
            if (Directory.GetFiles(path, "*.deps.json").Length == 0)
                throw new UsageException($"{path} is not a published job folder: it has no *.deps.json (submit the output of 'dotnet publish' of the job's project)");
            using var zip = new MemoryStream();
            await ZipFile.CreateFromDirectoryAsync(path, zip, CompressionLevel.Optimal, includeBaseDirectory: false, cancellationToken);
            return zip.ToArray();
        }
        if (!File.Exists(path)) throw new UsageException($"{(path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? "package" : "assembly")} not found: {path}");
        return await File.ReadAllBytesAsync(path, cancellationToken);
    }
}
