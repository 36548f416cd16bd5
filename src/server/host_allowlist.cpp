#include "server/host_allowlist.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>

namespace ys {

namespace {

constexpr int kDefaultHttpPort = 80;

// Lower-cases a host name, drops one trailing dot and checks its characters; IPv6 literals come
// back in brackets and canonical form, so that [::1] and [0:0::1] compare equal. Empty on error.
std::string normalise_name(std::string name) {
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    const std::string inner = name.substr(1, name.size() - 2);
    in6_addr addr{};
    if (inet_pton(AF_INET6, inner.c_str(), &addr) != 1) return {};
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, &addr, text, sizeof text);
    return std::string("[") + text + "]";
  }
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty() || name.size() > 253) return {};
  for (char& c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '.' && c != '-' && c != '_') return {};
    c = static_cast<char>(std::tolower(u));
  }
  return name;
}

// "1".."65535" without sign or spaces; -1 otherwise.
int parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5) return -1;
  if (!std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return -1;
  const int port = std::stoi(text);
  return port >= 1 && port <= 65535 ? port : -1;
}

struct HostPort {
  std::string name;  // normalised, empty when the text is malformed
  int port = -1;     // -1: no port given
};

// Splits "name", "name:port", "[v6]" or "[v6]:port".
HostPort split_host_port(const std::string& text) {
  HostPort out;
  std::string name = text, port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos) return {};
    name = text.substr(0, close + 1);
    const std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return {};
      port_text = rest.substr(1);
      has_port = true;
    }
  } else if (const size_t colon = text.find(':'); colon != std::string::npos) {
    name = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    has_port = true;
  }
  if (has_port && (out.port = parse_port(port_text)) < 0) return {};
  out.name = normalise_name(name);
  return out;
}

bool is_ip_literal(const std::string& normalised_name) {
  if (normalised_name.front() == '[') return true;  // normalise_name checked it
  in_addr addr{};
  return inet_pton(AF_INET, normalised_name.c_str(), &addr) == 1;
}

}  // namespace

HostAllowlist::HostAllowlist(int port) : port_(port) {}

void HostAllowlist::add(const std::string& name) {
  if (name.empty()) return;
  const bool bare_v6 = name.find(':') != std::string::npos && name.front() != '[';
  const std::string normalised = normalise_name(bare_v6 ? "[" + name + "]" : name);
  if (!normalised.empty()) entries_.push_back({normalised, port_});
}

bool HostAllowlist::add_entry(const std::string& entry) {
  if (entry == "*") {
    any_ = true;
    return true;
  }
  const HostPort hp = split_host_port(entry);
  if (hp.name.empty()) return false;
  entries_.push_back({hp.name, hp.port});
  return true;
}

void HostAllowlist::allow_ip_literals() {
  ip_literals_ = true;
}

bool HostAllowlist::allows(const std::string& host_header) const {
  if (any_) return true;
  const HostPort hp = split_host_port(host_header);
  if (hp.name.empty()) return false;
  const int port = hp.port < 0 ? kDefaultHttpPort : hp.port;
  if (ip_literals_ && port == port_ && is_ip_literal(hp.name)) return true;
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.name == hp.name && (e.port < 0 || e.port == port);
  });
}

}  // namespace ys
