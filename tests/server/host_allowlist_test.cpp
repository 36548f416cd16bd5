// HostAllowlist: the Host names the report server answers, against DNS rebinding.
#include "server/host_allowlist.h"

#include <gtest/gtest.h>

namespace ys {
namespace {

HostAllowlist loopback(int port) {
  HostAllowlist hosts(port);
  for (const char* name : {"localhost", "127.0.0.1", "::1"}) hosts.add(name);
  return hosts;
}

TEST(HostAllowlist, AcceptsLoopbackNamesOnTheServersPort) {
  const HostAllowlist hosts = loopback(8080);
  for (const char* ok : {"localhost:8080", "LocalHost:8080", "localhost.:8080", "127.0.0.1:8080",
                         "[::1]:8080", "[0:0:0:0:0:0:0:1]:8080"})
    EXPECT_TRUE(hosts.allows(ok)) << ok;
  for (const char* refused :
       {"localhost:8081", "localhost", "127.0.0.1", "evil.example:8080", "127.0.0.1.nip.io:8080",
        "localhost.evil.example:8080", "192.168.1.5:8080", "", ":8080", "localhost:", "localhost:x",
        "localhost:80800", "[::1:8080", "[::1]x", "::1:8080", "local host:8080", "[::2]:8080"})
    EXPECT_FALSE(hosts.allows(refused)) << "'" << refused << "'";
}

TEST(HostAllowlist, AHostWithoutPortMeansPort80) {
  const HostAllowlist hosts = loopback(80);
  EXPECT_TRUE(hosts.allows("localhost"));
  EXPECT_TRUE(hosts.allows("localhost:80"));
  EXPECT_FALSE(hosts.allows("localhost:8080"));
}

TEST(HostAllowlist, EntriesWithAndWithoutPort) {
  HostAllowlist hosts(8080);
  EXPECT_TRUE(hosts.add_entry("reports.lan"));
  EXPECT_TRUE(hosts.add_entry("Proxy.Lan:443"));
  EXPECT_TRUE(hosts.add_entry("[fe80::1]:9000"));
  EXPECT_TRUE(hosts.allows("reports.lan:8080"));
  EXPECT_TRUE(hosts.allows("reports.lan"));
  EXPECT_TRUE(hosts.allows("proxy.lan:443"));
  EXPECT_FALSE(hosts.allows("proxy.lan:8080"));
  EXPECT_TRUE(hosts.allows("[fe80::1]:9000"));
  EXPECT_FALSE(hosts.allows("other.lan:8080"));
  for (const char* bad : {"", "a b", "name:0", "name:port", "[nonsense]:1", "x/y", ":80"})
    EXPECT_FALSE(HostAllowlist(8080).add_entry(bad)) << "'" << bad << "'";
}

TEST(HostAllowlist, StarAcceptsEveryHost) {
  HostAllowlist hosts(8080);
  EXPECT_TRUE(hosts.add_entry("*"));
  EXPECT_TRUE(hosts.allows("anything.example:1234"));
}

TEST(HostAllowlist, IpLiteralsOnTheServersPortWhenAsked) {
  HostAllowlist hosts = loopback(8080);
  EXPECT_FALSE(hosts.allows("192.168.1.5:8080"));
  hosts.allow_ip_literals();
  EXPECT_TRUE(hosts.allows("192.168.1.5:8080"));
  EXPECT_TRUE(hosts.allows("[2001:db8::5]:8080"));
  EXPECT_FALSE(hosts.allows("192.168.1.5:9090"));
  EXPECT_FALSE(hosts.allows("evil.example:8080")) << "names still need an entry";
  EXPECT_FALSE(hosts.allows("192.168.1:8080")) << "only dotted quads are IPv4 literals";
}

}  // namespace
}  // namespace ys
