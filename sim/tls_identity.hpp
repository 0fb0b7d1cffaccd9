// The simulated tenant's TLS identity: a CA and a server certificate for 127.0.0.1,
// ::1 and localhost, generated with OpenSSL at start (or loaded from files), so that
// clients verify the connection for real against the CA.
#pragma once

#include <string>

namespace devreset::sim {

struct tls_identity {
  std::string ca_pem;     ///< the CA certificate clients trust (empty when loaded from files)
  std::string chain_pem;  ///< the server certificate, then the CA
  std::string key_pem;    ///< the server's private key
};

/// A fresh CA (EC P-256) and a server certificate signed by it, valid for a week.
tls_identity generate_tls_identity();

/// A certificate chain and key from PEM files. Throws std::runtime_error naming the file.
tls_identity load_tls_identity(const std::string& cert_file, const std::string& key_file);

}  // namespace devreset::sim
