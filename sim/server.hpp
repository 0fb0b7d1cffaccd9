// The simulated tenant as a server: HTTPS (Beast + Asio coroutines) on one thread, speaking
// the device API of docs/tenant-api.md over keep-alive connections, with GET /sim/stats.
// Started in-process by tests and the demo (port 0), or by `devreset sim`.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/options.hpp"
#include "sim/tenant_state.hpp"

namespace devreset::sim {

class server {
 public:
  /// Builds the population, the TLS identity and binds the listening socket (so `port()`
  /// is known at once). Throws std::runtime_error with a clear reason on failure.
  explicit server(options opts);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Serves on a thread of its own until stop() or destruction.
  void start();
  /// Serves on the calling thread until stop(), or SIGINT/SIGTERM when `until_signal`.
  void run(bool until_signal = false);
  /// Stops serving: the listener closes and open connections are dropped. Idempotent.
  void stop();

  std::uint16_t port() const;
  /// "https://127.0.0.1:<port>" (the listen host as given).
  std::string url() const;
  const std::string& token() const;
  /// The CA certificate (PEM) that verifies this server; empty with --cert/--key.
  const std::string& ca_pem() const;
  /// The realm path the seeded users live in.
  const std::string& realm_path() const;

  /// The seeded users' ids, in a stable order.
  std::vector<std::string> user_ids() const;
  /// Adds a user with any id and these device counts (by io::index of each device type), and
  /// its user name (empty: none). Safe while serving.
  void add_user(const std::string& realm_path, const std::string& id, device_counts counts,
                const std::string& user_name = {});
  /// The JSON of GET /sim/stats. Safe while serving.
  std::string stats_json() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace devreset::sim
