using System.Text;
using RecoFlow.ControlPlane;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Recommendations.Edge.Shop;
using RecoFlow.Server.Security;

namespace RecoFlow.Server.Tests;

/// <summary>
/// A node with every key set (admin token, collect key, user secret) on a free loopback port, with job operations and
/// the recommendation edge with a shop: the routes of docs/http-api.md's access table.
/// </summary>
public sealed class AccessNode : IAsyncLifetime
{
    public const string AdminToken = "access-admin-token-0123456789";
    public const string CollectKey = "access-collect-key-0123456789";
    public const string UserSecret = "access-user-secret-0123456789";
    public static readonly UserTokens Users = new(UserSecret);

    public InMemoryEventPublisher Publisher { get; } = new();
    public NodeHttpServer Server { get; private set; } = null!;

    public static string UserToken(string user, TimeSpan? ttl = null) => Users.Issue(user, DateTimeOffset.UtcNow + (ttl ?? TimeSpan.FromHours(1)));

    public async Task InitializeAsync()
    {
        Server = await NodeHttpServer.StartAsync(
            new NodeServerOptions { NodeName = "access", Port = 0, Token = AdminToken, CollectKey = CollectKey, UserSecret = UserSecret },
            new NodeServices
            {
                Jobs = new LocalJobRegistry(),
                Operations = new AcceptingJobOperations(),
                Modules =
                [
                    new RecommendationEdgeModule(new RecommendationEdgeOptions { PseudonymKey = Encoding.UTF8.GetBytes("access-pseudonym-key-0123456789"), CollectRateLimit = 10_000 },
                        new RecommendationEdgeServices { Publisher = Publisher, Shop = new Catalog() }),
                ],
            });
        Server.Feed.Publish(Server.Pseudonymizer.Pseudonymize("alice"), """{"items":["a"]}""");
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Answers every job operation with success, so the access table sees only what the keys decide.</summary>
    private sealed class AcceptingJobOperations : IJobOperations
    {
        public Task<JobOperationResult> SubmitAsync(JobSubmitRequest request, CancellationToken cancellationToken) => Task.FromResult(new JobOperationResult(201, JobId: "job-1"));
        public Task<JobOperationResult> SavepointAsync(string jobId, SavepointCommand command, CancellationToken cancellationToken) => Task.FromResult(new JobOperationResult(200, jobId, Savepoint: "sp"));
        public Task<JobOperationResult> CancelAsync(string jobId, CancellationToken cancellationToken) => Task.FromResult(new JobOperationResult(200, jobId));
    }

    private sealed class Catalog : IShopCatalog
    {
        public string Json => """{"categories":["Pets"],"items":[{"id":"i1","title":"Cat","category":"Pets"}]}""";
    }
}
