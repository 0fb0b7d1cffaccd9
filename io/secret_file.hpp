// Files that hold secrets (a service account's key, a bearer token): read only when nobody
// else can read or change them, and wiped from memory once used.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace devreset::io {

class secret_file_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reads a secret: a regular file owned by this user or root, that nobody else can change
/// or read (no permission bit for others; the group may read only when it is one of this
/// process's, as a Kubernetes Secret mounted with defaultMode 0440 and the pod's fsGroup),
/// at most `max_bytes`. Symbolic links (a Secret's keys are links into its `..data` folder)
/// are followed only when no other user can change a link or the folder that holds it (a
/// sticky folder, as a Secret volume's, counts as safe). Throws secret_file_error naming the
/// file (`what`: "key file", "token file") and the reason, never the content.
std::string read_secret_file(const std::filesystem::path& path, std::size_t max_bytes,
                             std::string_view what);

/// A file that names where tokens go or what to remove (a config file, a plan) must be
/// changeable by its owner only, and owned by this user or root: nullopt when it is (or
/// cannot be read: its reader says why), else "others can change it (mode 666, owner uid
/// 1000)".
std::optional<std::string> others_can_change(const std::filesystem::path& path);

/// Why another user could replace the file `path` names: a folder on its way or a link
/// followed (step by step, as read_secret_file follows them) that others can change, as
/// "in the folder /srv/x, which is others can change it (mode 777)"; nullopt when none.
std::optional<std::string> way_problem(const std::filesystem::path& path);

/// True when `token` is a bearer token by RFC 6750's grammar (b64token: letters, digits,
/// '-', '.', '_', '~', '+', '/', then '=' padding): nothing in it can end a header line.
bool is_bearer_token(std::string_view token) noexcept;

/// Writes `content` as the file `path`, created 0600 through a temporary file of its own in
/// the same folder (O_CREAT|O_EXCL|O_NOFOLLOW, then renamed): never through a symbolic link,
/// never into a file someone else made. `replace`: an existing file is replaced (the link
/// itself, not its target); otherwise an existing file is an error. Throws
/// std::runtime_error naming the file and the reason.
/// `mode`: the new file's permissions (0600; a metrics file others read: 0644).
void write_new_file(const std::filesystem::path& path, std::string_view content, bool replace,
                    unsigned mode = 0600);

/// True when `a` and `b` are one file: the same inode once links are followed (when both
/// exist), else the same path once made absolute and normal (a file a run will create).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

/// Overwrites a string that held a secret (OPENSSL_cleanse), then empties it.
void wipe(std::string& s) noexcept;

/// A secret's copy, wiped when it goes out of scope however the scope ends (a throw, a
/// coroutine destroyed while it waits).
class wiped_string {
 public:
  explicit wiped_string(std::string s) noexcept : s_(std::move(s)) {}
  ~wiped_string() { wipe(s_); }
  wiped_string(const wiped_string&) = delete;
  wiped_string& operator=(const wiped_string&) = delete;
  const std::string& str() const noexcept { return s_; }

 private:
  std::string s_;
};

}  // namespace devreset::io
