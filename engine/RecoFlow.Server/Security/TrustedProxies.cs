using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace RecoFlow.Server.Security;

/// <summary>
/// The reverse proxies whose <c>X-Forwarded-For</c> the node believes (<c>recoflow.http.trusted-proxies</c>, env
/// <c>RECOFLOW_TRUSTED_PROXIES</c>): addresses (<c>10.0.0.5</c>) and networks in CIDR notation (<c>10.0.0.0/8</c>,
/// <c>fd00::/8</c>). From those, ASP.NET's forwarded-headers middleware replaces the connection's remote address by
/// the client the header names, so the rate limiter keys on that client; from any other address the header is ignored.
/// </summary>
public static class TrustedProxies
{
    /// <summary>Parses the entries; an entry that is neither an address nor a CIDR network throws, naming it.</summary>
    public static (IReadOnlyList<IPAddress> Addresses, IReadOnlyList<System.Net.IPNetwork> Networks) Parse(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var addresses = new List<IPAddress>();
        var networks = new List<System.Net.IPNetwork>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            if (entry.Length == 0) continue;
            if (entry.Contains('/', StringComparison.Ordinal))
            {
                if (!System.Net.IPNetwork.TryParse(entry, out var network))
                    throw new ArgumentException($"recoflow.http.trusted-proxies: '{entry}' is not a network in CIDR notation (e.g. 10.0.0.0/8)");
                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address)) addresses.Add(address);
            else throw new ArgumentException($"recoflow.http.trusted-proxies: '{entry}' is not an IP address or a CIDR network");
        }
        return (addresses, networks);
    }

    /// <summary>Forwarded-headers options that trust exactly <paramref name="entries"/> (not the loopback default of ASP.NET).</summary>
    public static ForwardedHeadersOptions Options(IEnumerable<string> entries)
    {
        var (addresses, networks) = Parse(entries);
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // Walk back through every trusted hop of a chain of proxies; stop at the first address not trusted.
            ForwardLimit = null,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var a in addresses) options.KnownProxies.Add(a);
        foreach (var n in networks) options.KnownIPNetworks.Add(n);
        return options;
    }
}
