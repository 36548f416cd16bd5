// HostAllowlist: which `Host:` headers the report server answers. A web page can reach a server
// on 127.0.0.1 through DNS rebinding: its own name (evil.example) is made to resolve to 127.0.0.1,
// and the browser then treats the local reports as the page's own origin. The request still
// carries `Host: evil.example`, so answering only the names the server is really reached by closes
// the hole. Names are compared without case and without a trailing dot; a Host without a port
// means port 80, as in the browser.
#pragma once

#include <string>
#include <vector>

namespace ys {

class HostAllowlist {
 public:
  // `port` is the port the server listens on: the port that entries without one must carry.
  explicit HostAllowlist(int port);

  // Accepts `name` on the server's port. `name` is a host name, an IPv4 address or an IPv6
  // address with or without brackets.
  void add(const std::string& name);
  // Accepts one entry of allowed_hosts=: `name` (any port), `name:port`, `[v6]:port`, or `*` for
  // every Host. Returns false, adding nothing, when the entry is not of that form.
  bool add_entry(const std::string& entry);
  // Accepts every IP address literal on the server's port. A rebinding page always sends its own
  // DNS name, so an address in Host means the user typed that address.
  void allow_ip_literals();

  // True when a request with this Host header value is to be answered.
  bool allows(const std::string& host_header) const;

 private:
  struct Entry {
    std::string name;  // normalised: lower case, IPv6 in brackets, no trailing dot
    int port;          // -1: any
  };
  std::vector<Entry> entries_;
  int port_;
  bool any_ = false;
  bool ip_literals_ = false;
};

}  // namespace ys
