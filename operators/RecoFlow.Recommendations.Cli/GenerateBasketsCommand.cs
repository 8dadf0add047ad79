using System.CommandLine;
using RecoFlow.Cli;
using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Cli;

/// <summary><c>recoflow generate baskets</c>: a synthetic shop log with baskets (<see cref="SyntheticBasketLog"/>).</summary>
public static class GenerateBasketsCommand
{
    public static Command Create(TextWriter output)
    {
        var defaults = new SyntheticBasketLogOptions();
        var outFile = new Option<string>("--output") { Description = "events file (JSON Lines, the job's event format)", Required = true };
        var users = new Option<int>("--users") { Description = "customers", DefaultValueFactory = _ => defaults.Users };
        var items = new Option<int>("--items") { Description = "products", DefaultValueFactory = _ => defaults.Items };
        var bundle = new Option<double>("--bundle-share") { Description = "share of an order's further lines that complement a line already in it (0–1)", DefaultValueFactory = _ => defaults.BundleShare };
        var skew = new Option<double>("--popularity-skew") { Description = "exponent of the products' popularity curve (0 = uniform)", DefaultValueFactory = _ => defaults.PopularitySkew };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => defaults.Seed };
        var cmd = new Command("baskets", "a synthetic shop log: orders as baskets sharing a timestamp, products bought with their complements, returning customers (not evidence of quality on a real shop)")
            { outFile, users, items, bundle, skew, seed };
        cmd.SetAction(r =>
        {
            var options = new SyntheticBasketLogOptions(r.GetValue(users), r.GetValue(items), r.GetValue(bundle), r.GetValue(skew), r.GetValue(seed));
            if (options.Problem() is { } problem) throw new UsageException(problem);
            var events = SyntheticBasketLog.Generate(options);
            string path = r.GetValue(outFile)!;
            using (var file = File.Create(path))
            {
                foreach (var e in events)
                {
                    file.Write(InteractionJson.ToJson(e));
                    file.WriteByte((byte)'\n');
                }
            }
            output.WriteLine($"wrote {events.Count:N0} purchases of {options.Users:N0} customers to {path}");
            return 0;
        });
        return cmd;
    }
}
