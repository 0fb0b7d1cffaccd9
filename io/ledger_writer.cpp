// Ledger writer on POSIX file descriptors: O_APPEND, O_NOFOLLOW, mode 0600, fdatasync.
#include "io/ledger_writer.hpp"

#include "io/json_text.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/json.hpp>
#include <boost/json/monotonic_resource.hpp>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <sstream>

#include "io/ledger_reader.hpp"

namespace devreset::io {

namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

// Reads exactly `n` bytes at `offset` (short only at the end of the file).
std::string pread_string(int fd, std::uint64_t offset, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    auto r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

void sync_parent_directory(const std::filesystem::path& path) {
  auto dir = path.parent_path();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

ledger_error exists_error(const std::string& name) {
  return ledger_error(fmt::format(
      "ledger {} already exists: pass --resume to continue it, or choose another file (it is "
      "never overwritten)",
      name));
}

// The process holding a flock on the file (from /proc/locks), or 0 when unknown.
long lock_holder(const struct stat& st) {
  std::ifstream locks("/proc/locks");
  std::string line;
  auto want = fmt::format(":{}", static_cast<unsigned long long>(st.st_ino));
  while (std::getline(locks, line)) {
    std::istringstream in(line);
    std::string n, kind, advisory, rw, dev_inode;
    long pid = 0;
    if (!(in >> n >> kind >> advisory >> rw >> pid >> dev_inode)) continue;
    if (kind != "FLOCK" || dev_inode.size() < want.size()) continue;
    if (dev_inode.compare(dev_inode.size() - want.size(), want.size(), want) == 0) return pid;
  }
  return 0;
}

}  // namespace

long ledger_writer_pid(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? lock_holder(st) : 0;
}

namespace {

// An exclusive lock for as long as `fd` is open; throws naming the holder when taken.
void lock_exclusive(int fd, const std::string& name) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return;
  int err = errno;
  struct stat st {};
  long pid = (err == EWOULDBLOCK && ::fstat(fd, &st) == 0) ? lock_holder(st) : 0;
  ::close(fd);
  if (err != EWOULDBLOCK) {
    throw ledger_error(fmt::format("ledger {}: cannot lock: {}", name, errno_text(err)));
  }
  throw ledger_error(fmt::format(
      "ledger {} is in use by another devreset{}: two runs on one ledger would do users "
      "twice; wait for it to end, or use another ledger",
      name, pid > 0 ? fmt::format(" (PID {})", pid) : std::string()));
}

}  // namespace

void check_new_ledger(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) throw exists_error(path.string());
}

ledger_writer::ledger_writer(std::filesystem::path path, ledger_mode mode,
                             std::chrono::milliseconds sync_interval)
    : path_(std::move(path)),
      sync_interval_(sync_interval),
      last_sync_(std::chrono::steady_clock::now()) {
  const auto name = path_.string();
  struct stat st {};
  bool existed = ::lstat(path_.c_str(), &st) == 0;
  if (existed && S_ISLNK(st.st_mode)) {
    throw ledger_error(
        fmt::format("ledger {}: is a symbolic link; refusing to write through it "
                    "(give the real path)",
                    name));
  }
  if (existed && !S_ISREG(st.st_mode)) {
    throw ledger_error(fmt::format("ledger {}: is not a regular file", name));
  }
  if (existed && mode == ledger_mode::create) throw exists_error(name);

  // A new ledger is created here and now (O_EXCL): never a file someone else made first.
  int flags =
      O_APPEND | O_NOFOLLOW | O_CLOEXEC |
      (existed ? O_RDWR : O_CREAT | O_EXCL | (mode == ledger_mode::resume ? O_RDWR : O_WRONLY));
  fd_ = ::open(path_.c_str(), flags, 0600);
  if (fd_ < 0) {
    int err = errno;
    if (err == EEXIST) throw exists_error(name);
    throw ledger_error(fmt::format("ledger {}: cannot open: {}", name,
                                   err == ELOOP ? "is a symbolic link" : errno_text(err)));
  }
  created_ = !existed;
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw ledger_error(fmt::format("ledger {}: is not a regular file", name));
  }
  // A ledger others can write could hold planted "ok" records that a resume would trust.
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw ledger_error(fmt::format(
        "ledger {}: {} (mode {:o}): a resume trusts what it says; chmod 600 it if it is yours",
        name, st.st_uid != ::geteuid() ? "owned by another user" : "others can read or change it",
        st.st_mode & 0777));
  }
  lock_exclusive(fd_, name);  // closes fd_ when it throws
  size_ = static_cast<std::uint64_t>(st.st_size);
  if (created_) sync_parent_directory(path_);
  if (mode == ledger_mode::resume) repair_tail();
  opened_size_ = size_;
}

void ledger_writer::discard_written() {
  pending_.clear();
  pending_records_ = 0;
  if (fd_ >= 0 && created_) {
    // This run made the file: it goes again, so that the same command starts afresh.
    ::unlink(path_.c_str());
    ::close(fd_);
    fd_ = -1;
    return;
  }
  if (fd_ < 0 || size_ == opened_size_) return;
  if (::ftruncate(fd_, static_cast<off_t>(opened_size_)) != 0) {
    throw ledger_error(fmt::format("ledger {}: cannot cut this run's records: {}", path_.string(),
                                   errno_text(errno)));
  }
  size_ = opened_size_;
  dirty_ = true;
}

ledger_writer::~ledger_writer() {
  try {
    close();
  } catch (...) {
    // Nothing to do: the records were written per line; only the final sync failed.
  }
}

void ledger_writer::repair_tail() {
  if (size_ == 0) return;
  if (pread_string(fd_, size_ - 1, 1) == "\n") return;

  // Find the start of the last line, reading backwards in chunks.
  constexpr std::size_t chunk = 64 * 1024;
  std::uint64_t end = size_;
  std::uint64_t line_start = 0;
  while (end > 0) {
    std::uint64_t begin = end > chunk ? end - chunk : 0;
    auto bytes = pread_string(fd_, begin, static_cast<std::size_t>(end - begin));
    auto nl = bytes.rfind('\n');
    if (nl != std::string::npos) {
      line_start = begin + nl + 1;
      break;
    }
    end = begin;
  }
  const std::uint64_t tail_size = size_ - line_start;
  bool whole = tail_size <= 16 * 1024 * 1024 &&
               is_whole_record(pread_string(fd_, line_start, static_cast<std::size_t>(tail_size)));
  if (whole) {
    append("\n");  // a whole record that only missed its newline: keep it
    return;
  }
  if (::ftruncate(fd_, static_cast<off_t>(line_start)) != 0) {
    throw ledger_error(fmt::format("ledger {}: cannot cut the torn last line: {}", path_.string(),
                                   errno_text(errno)));
  }
  torn_dropped_ = tail_size;
  size_ = line_start;
  dirty_ = true;
}

void ledger_writer::append(std::string_view bytes) {
  if (fd_ < 0) throw ledger_error(fmt::format("ledger {}: already closed", path_.string()));
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      // Remove what part of the record got out, so that the ledger still parses.
      if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        // The reader tolerates a torn last line; nothing more can be done here.
      }
      throw ledger_error(
          fmt::format("ledger {}: cannot write: {}", path_.string(), errno_text(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += bytes.size();
  dirty_ = true;
}

void ledger_writer::serialize_into(std::string& out, const boost::json::object& v) {
  append_json(out, v);  // numbers as people write them (4.7, not 4.7E0)
  out += '\n';
}

void ledger_writer::write(const boost::json::object& record) {
  flush();
  line_.clear();
  serialize_into(line_, record);
  append(line_);
  ++records_;
  maybe_sync();
}

void ledger_writer::write(const user_record& record) {
  add(record);
  flush();
}

void ledger_writer::add(const user_record& record) {
  if (fd_ < 0) throw ledger_error(fmt::format("ledger {}: already closed", path_.string()));
  // A fresh arena on the stack per record: no malloc for a record that fits in it.
  // (Boost 1.81's monotonic_resource::release() keeps doubling its next block size, so an
  // arena released and reused for every record soon fails with bad_alloc.)
  alignas(std::max_align_t) unsigned char buffer[16 * 1024];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  auto o = to_json(record, boost::json::storage_ptr(&arena));
  serialize_into(pending_, o);
  ++pending_records_;
}

void ledger_writer::flush() {
  if (pending_records_ == 0) return;
  // On failure the whole batch is dropped (append cuts a partial write), so what is on disk
  // stays whole records only; the users of the batch are done again on resume.
  auto n = pending_records_;
  pending_records_ = 0;
  try {
    append(pending_);
  } catch (...) {
    pending_.clear();
    throw;
  }
  pending_.clear();  // keeps its capacity for the next batch
  records_ += n;
  maybe_sync();
}

void ledger_writer::maybe_sync() {
  if (!dirty_) return;
  if (std::chrono::steady_clock::now() - last_sync_ >= sync_interval_) sync();
}

void ledger_writer::sync() {
  if (fd_ < 0 || !dirty_) return;
  // The second is counted from the sync's start (a slow fdatasync does not stretch it),
  // unless the sync took half of it or more: then from its end, so that a slow disk is
  // given as much time without a sync as it took, never synced back to back.
  const auto start = std::chrono::steady_clock::now();
  if (::fdatasync(fd_) != 0) {
    throw ledger_error(
        fmt::format("ledger {}: cannot sync to disk: {}", path_.string(), errno_text(errno)));
  }
  const auto end = std::chrono::steady_clock::now();
  last_sync_ = end - start < sync_interval_ / 2 ? start : end;
  dirty_ = false;
}

void ledger_writer::close() {
  if (fd_ < 0) return;
  flush();
  int fd = fd_;
  std::string error;
  if (dirty_ && ::fdatasync(fd) != 0) error = errno_text(errno);
  fd_ = -1;
  if (::close(fd) != 0 && error.empty()) error = errno_text(errno);
  dirty_ = false;
  if (!error.empty()) {
    throw ledger_error(fmt::format("ledger {}: cannot close: {}", path_.string(), error));
  }
}

}  // namespace devreset::io
