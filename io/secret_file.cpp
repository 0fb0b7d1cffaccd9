// Secret files: O_NOFOLLOW, fstat on the descriptor, owner and mode, a size cap.
#include "io/secret_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace devreset::io {

namespace {

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

namespace {

bool in_my_groups(gid_t g) {
  if (g == ::getegid()) return true;
  gid_t groups[256];
  const int n = ::getgroups(256, groups);
  for (int i = 0; i < n; ++i) {
    if (groups[i] == g) return true;
  }
  return false;
}

// Who may change a file or folder: its owner (this user or root) only. A folder others may
// write to is safe only with the sticky bit (they cannot replace what is not theirs).
std::optional<std::string> change_problem(const struct stat& st, bool folder) {
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return fmt::format("owned by another user (uid {}): a secret must be yours (or root's) alone",
                       static_cast<unsigned>(st.st_uid));
  }
  const bool sticky = folder && (st.st_mode & S_ISVTX) != 0;
  if ((st.st_mode & 022) != 0 && !sticky) {
    return fmt::format("others can change it (mode {:o})", st.st_mode & 07777);
  }
  return std::nullopt;
}

// A link or folder on the way to a secret: refused when another user could change it.
void check_step(const std::filesystem::path& p, const std::filesystem::path& named,
                std::string_view what) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return;  // open() says why
  const bool link = S_ISLNK(st.st_mode);
  if (link) st.st_mode &= ~static_cast<mode_t>(0777);  // a link's own mode means nothing
  if (auto why = change_problem(st, !link)) {
    throw secret_file_error(fmt::format("{} {}: {} {}, which is {}", what, named.string(),
                                        link ? "through the link" : "in the folder", p.string(),
                                        *why));
  }
}

// The components of `p` after its root, pushed so that the first is at the back.
void push_components(std::vector<std::string>& todo, const std::filesystem::path& p) {
  std::vector<std::string> parts;
  for (const auto& c : p.relative_path())
    parts.push_back(c.string());
  todo.insert(todo.end(), parts.rbegin(), parts.rend());
}

// The file `path` names, resolved one component at a time as the kernel does: every folder
// passed through and every link followed (at any depth: a link to a link to the file) must
// be such that no other user can change it: a link or a folder of this user or root, written
// by its owner only (a sticky folder, as /tmp or a Kubernetes Secret volume, counts as safe:
// others cannot replace what is not theirs). The file itself is checked on its descriptor.
std::filesystem::path resolve_safely(const std::filesystem::path& path, std::string_view what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto given = fs::absolute(path, ec);
  if (ec) return path;
  std::vector<std::string> todo;
  push_components(todo, given);
  fs::path at = "/";  // resolved so far: no link in it
  check_step(at, path, what);
  for (int links = 0; !todo.empty();) {
    const auto name = std::move(todo.back());
    todo.pop_back();
    if (name.empty() || name == ".") continue;
    if (name == "..") {
      at = at.parent_path();
      continue;
    }
    const auto next = at / name;
    struct stat st {};
    if (::lstat(next.c_str(), &st) != 0) return given;  // missing: open() says why
    if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) check_step(next, path, what);
    if (!S_ISLNK(st.st_mode)) {
      at = next;
      continue;
    }
    if (++links > 40) return given;  // a loop: open() says why
    const auto target = fs::read_symlink(next, ec);
    if (ec) return given;
    if (target.is_absolute()) at = "/";
    push_components(todo, target);
  }
  return at;
}

}  // namespace

std::string read_secret_file(const std::filesystem::path& path, std::size_t max_bytes,
                             std::string_view what) {
  const auto name = path.string();
  const auto real = resolve_safely(path, what);
  fd_guard f{::open(real.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)};
  if (f.fd < 0) {
    throw secret_file_error(
        fmt::format("{} {}: cannot read it: {}", what, name, std::strerror(errno)));
  }
  struct stat st {
  }, named{};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw secret_file_error(fmt::format("{} {}: not a regular file", what, name));
  }
  if (::stat(path.c_str(), &named) != 0 || named.st_dev != st.st_dev || named.st_ino != st.st_ino) {
    throw secret_file_error(fmt::format("{} {}: changed while it was read", what, name));
  }
  if (auto why = change_problem(st, false)) {
    throw secret_file_error(fmt::format("{} {}: {}", what, name, *why));
  }
  // Nobody else may read it: no bit for others; a group's read bit only on a file of root's
  // whose group is this process's (a Kubernetes Secret: defaultMode 0440, the pod's fsGroup).
  const bool group_ok = st.st_uid == 0 && st.st_uid != ::geteuid() && in_my_groups(st.st_gid);
  if ((st.st_mode & 007) != 0 ||
      ((st.st_mode & 070) != 0 && !((st.st_mode & 070) == 040 && group_ok))) {
    throw secret_file_error(
        fmt::format("{} {}: others can read or change it (mode {:o}): chmod "
                    "600 it",
                    what, name, st.st_mode & 0777));
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    throw secret_file_error(fmt::format("{} {}: larger than {} bytes", what, name, max_bytes));
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    auto n = ::read(f.fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

void write_new_file(const std::filesystem::path& path, std::string_view content, bool replace,
                    unsigned mode) {
  const auto name = path.string();
  auto dir = path.parent_path();
  if (dir.empty()) dir = ".";
  unsigned char raw[8];
  RAND_bytes(raw, sizeof raw);
  auto tmp = dir / fmt::format(".{}.{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}.tmp",
                               path.filename().string(), raw[0], raw[1], raw[2], raw[3], raw[4],
                               raw[5], raw[6], raw[7]);
  fd_guard f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (f.fd < 0 || ::fchmod(f.fd, static_cast<mode_t>(mode)) != 0) {
    int err = errno;
    if (f.fd >= 0) ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("{}: cannot write: {}", name, std::strerror(err)));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(f.fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      throw std::runtime_error(fmt::format("{}: cannot write: {}", name, std::strerror(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  // link() refuses an existing name: no file is ever replaced unless asked.
  int rc = replace ? ::rename(tmp.c_str(), path.c_str()) : ::link(tmp.c_str(), path.c_str());
  int err = errno;
  if (!replace || rc != 0) ::unlink(tmp.c_str());
  if (rc != 0) {
    throw std::runtime_error(
        fmt::format("{}: {}", name,
                    err == EEXIST ? "already exists (it is never overwritten; --force replaces it)"
                                  : std::strerror(err)));
  }
}

std::optional<std::string> way_problem(const std::filesystem::path& path) {
  try {
    resolve_safely(path, "");
    return std::nullopt;
  } catch (const secret_file_error& e) {
    std::string_view why = e.what();  // " PATH: in the folder ...": the reason alone
    const auto prefix = " " + path.string() + ": ";
    if (why.starts_with(prefix)) why.remove_prefix(prefix.size());
    return std::string(why);
  }
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  struct stat sa {
  }, sb{};
  const bool has_a = ::stat(a.c_str(), &sa) == 0, has_b = ::stat(b.c_str(), &sb) == 0;
  if (has_a && has_b) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (has_a != has_b) return false;
  std::error_code ec1, ec2;
  const auto ca = std::filesystem::weakly_canonical(std::filesystem::absolute(a), ec1);
  const auto cb = std::filesystem::weakly_canonical(std::filesystem::absolute(b), ec2);
  return !ec1 && !ec2 && ca == cb;
}

std::optional<std::string> others_can_change(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  if ((st.st_mode & 022) == 0 && (st.st_uid == ::geteuid() || st.st_uid == 0)) return std::nullopt;
  return fmt::format("others can change it (mode {:o}, owner uid {})", st.st_mode & 0777,
                     static_cast<unsigned>(st.st_uid));
}

bool is_bearer_token(std::string_view t) noexcept {
  std::size_t i = 0;
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  };
  while (i < t.size() && ok(t[i]))
    ++i;
  if (i == 0) return false;
  while (i < t.size() && t[i] == '=')
    ++i;
  return i == t.size();
}

void wipe(std::string& s) noexcept {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace devreset::io
