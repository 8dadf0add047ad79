using System.Reflection;
using PublicApiGenerator;
using RecoFlow.Testing;

namespace RecoFlow.Tests.Api;

/// <summary>
/// The public API of the packages job authors build against is approved: it changes only on purpose. A change fails
/// here with the new API written beside the approved one (<c>*.received.txt</c>); review the difference, then accept it
/// by copying the received file over the approved one (or run the tests with <c>RECOFLOW_APPROVE_API=1</c>).
/// </summary>
public sealed class PublicApiTests
{
    public static TheoryData<string> Packages() => new()
    {
        "RecoFlow.Api",
        "RecoFlow.Runtime",
        "RecoFlow.Connectors",
        "RecoFlow.Connectors.Kafka",
        "RecoFlow.TestKit",
    };

    [Theory]
    [MemberData(nameof(Packages))]
    public void The_public_api_is_the_approved_one(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var api = assembly.GeneratePublicApi(new ApiGeneratorOptions { ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"] })
            .ReplaceLineEndings("\n");
        var directory = Path.Combine(RepositoryData.Root(), "tests", "RecoFlow.Tests", "Api", "PublicApi");
        var approvedPath = Path.Combine(directory, assemblyName + ".approved.txt");
        var receivedPath = Path.Combine(directory, assemblyName + ".received.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : null;
        if (approved == api)
        {
            File.Delete(receivedPath);
            return;
        }
        if (Environment.GetEnvironmentVariable("RECOFLOW_APPROVE_API") == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(approvedPath, api);
            return;
        }
        Directory.CreateDirectory(directory);
        File.WriteAllText(receivedPath, api);
        Assert.Fail($"the public API of {assemblyName} changed: compare {receivedPath} with {approvedPath}; if the change is intended, copy the received file over the approved one (or run with RECOFLOW_APPROVE_API=1)");
    }
}
