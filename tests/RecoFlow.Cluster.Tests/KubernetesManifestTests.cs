using System.Diagnostics;
using RecoFlow.TestKit;
using RecoFlow.TestSupport;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// The manifests of cluster-config/kubernetes against the Kubernetes schemas: validate/validate.mjs (Node.js, the
/// kubernetes-models classes) must pass on the shipped files and fail, naming file and problem, on broken ones.
/// Slow: installs the npm packages (npm ci) when validate/node_modules is missing; build.ps1 test installs them first.
/// </summary>
[Trait("Category", "Slow")]
public sealed class KubernetesManifestTests : IDisposable
{
    private static readonly string Manifests = RepositoryFiles.Path("cluster-config", "kubernetes");
    private static readonly string Validator = Path.Combine(Manifests, "validate");
    private readonly string _dir = Directory.CreateTempSubdirectory("recoflow-k8s-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Shipped_manifests_are_valid_Kubernetes_objects()
    {
        var (exit, stdout, stderr) = await ValidateAsync(Manifests);
        Assert.True(exit == 0, $"validate.mjs exited {exit}\n{stdout}\n{stderr}");
        foreach (var kind in new[] { "StatefulSet/recoflow", "Service/recoflow-nodes", "Service/recoflow", "ServiceAccount/recoflow",
                     "Role/recoflow-pod-reader", "RoleBinding/recoflow-pod-reader", "ConfigMap/recoflow-config",
                     "PodDisruptionBudget/recoflow", "HorizontalPodAutoscaler/recoflow", "Secret/recoflow-db", "PersistentVolumeClaim/recoflow-state" })
            Assert.Contains(kind, stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broken_manifests_fail_naming_the_file_and_the_problem()
    {
        foreach (var f in Directory.GetFiles(Manifests, "*.yaml"))
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        var statefulSet = Path.Combine(_dir, "statefulset.yaml");
        var text = await File.ReadAllTextAsync(statefulSet);
        Assert.Contains("replicas: 3\n", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(statefulSet, text.Replace("replicas: 3\n", "replicas: three\n", StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(_dir, "broken.yaml"), """
            apiVersion: v1
            kind: Service
            metadata: { name: no-port }
            spec:
              ports:
                - { name: http, targetPort: 8081 }
            ---
            apiVersion: apps/v1
            kind: Deploymnet
            metadata: { name: typo }
            """);

        var (exit, stdout, stderr) = await ValidateAsync(_dir);
        Assert.True(exit == 1, $"validate.mjs exited {exit}\n{stdout}\n{stderr}");
        Assert.Contains("error statefulset.yaml: document 1 (StatefulSet/recoflow): /spec/replicas must be integer", stderr, StringComparison.Ordinal);
        Assert.Contains("error broken.yaml: document 1 (Service/no-port): /spec/ports/0 must have required property port", stderr, StringComparison.Ordinal);
        Assert.Contains("error broken.yaml: document 2 (Deploymnet/typo): unknown apiVersion/kind apps/v1/Deploymnet", stderr, StringComparison.Ordinal);
        Assert.Contains("ok pdb.yaml", stdout, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> ValidateAsync(string directory)
    {
        await EnsureInstalledAsync();
        return await RunAsync("node", ["validate.mjs", directory], TimeSpan.FromSeconds(60));
    }

    private static readonly SemaphoreSlim Install = new(1, 1);

    private static async Task EnsureInstalledAsync()
    {
        await Install.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(Validator, "node_modules", "kubernetes-models"))) return;
            var (exit, stdout, stderr) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
            Assert.True(exit == 0, $"npm ci in {Validator} exited {exit}\n{stdout}\n{stderr}");
        }
        finally
        {
            Install.Release();
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Validator, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:F0} s\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
