// Plans read back: the plan's facts ahead of a run, and its users as jobs.
#include "io/plan_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "io/detail/row_builder.hpp"
#include "io/ledger_reader.hpp"
#include "io/ledger_record.hpp"
#include "io/ledger_writer.hpp"
#include "io/realm_path.hpp"
#include "io/text.hpp"

namespace devreset::io {

namespace json = boost::json;

namespace {

// The SHA-256 of the open file's bytes, read from its start (pread: the offset is left alone).
std::string sha256_of(int fd, const std::string& name) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw input_error(fmt::format("plan {}: cannot hash it", name));
  std::vector<unsigned char> buf(64 * 1024);
  for (off_t at = 0;;) {
    const auto n = ::pread(fd, buf.data(), buf.size(), at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw input_error(fmt::format("plan {}: cannot read it: {}", name, std::strerror(errno)));
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n));
    at += n;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex;
  for (unsigned i = 0; i < len; ++i)
    hex += fmt::format("{:02x}", md[i]);
  return hex;
}

std::shared_ptr<const opened_plan_file> open_plan_file(const std::filesystem::path& path) {
  const auto name = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    throw input_error(
        fmt::format("plan {}: cannot open for reading: {}", name, std::strerror(errno)));
  auto file = std::make_shared<opened_plan_file>(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode))
    throw input_error(fmt::format("plan {}: is a directory", name));
  if (!S_ISREG(st.st_mode)) throw input_error(fmt::format("plan {}: not a regular file", name));
  file->owner = static_cast<unsigned>(st.st_uid);
  file->mode = static_cast<unsigned>(st.st_mode & 07777);
  file->sha256 = sha256_of(fd, name);
  return file;
}

std::unique_ptr<ledger_lines> open_lines(const opened_plan_file& file, const std::string& name) {
  auto in = std::make_unique<std::ifstream>(file.reopen_path(), std::ios::binary);
  if (!*in) throw input_error(fmt::format("plan {}: cannot open for reading", name));
  return std::make_unique<ledger_lines>(std::move(in), name);
}

std::string_view str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// One run of the file, as read so far.
struct run_seen {
  std::uint64_t order = 0;
  plan_info info;
  std::string end;  // the summary's "end" (empty: no summary)
};

// A user the plan named by user name or mail and could not resolve (the run looks them up
// again).
bool unresolved(const user_record& u) {
  return u.user_id.empty() && u.kind != id_kind::user_id && u.status != user_status::invalid;
}

void count_user(plan_info& p, const user_record& u) {
  ++p.users;
  if (unresolved(u)) {
    ++p.users_unresolved;  // looked up again by the run, for the types its row asked for
    p.types = p.types | u.types;
    return;
  }
  bool any = false;
  for (const auto& r : u.results) {
    p.types.add(r.type);
    const auto t = static_cast<std::size_t>(r.type);
    if (r.status != result_status::planned) {
      ++p.users_unlisted;
      any = true;  // not known to be empty
      continue;
    }
    p.devices[t] += r.device_ids.size();
    if (!r.device_ids.empty()) {
      ++p.users_with[t];
      any = true;
    }
  }
  if (!any && u.status != user_status::invalid) ++p.users_empty;
}

void on_run(std::map<std::string, run_seen>& runs, const json::object& o,
            const std::filesystem::path& path) {
  auto& r = runs[std::string(str(o, "run_id"))];
  r.order = runs.size();
  if (str(o, "mode") != "plan") return;
  r.info.path = path.string();
  r.info.run_id = std::string(str(o, "run_id"));
  r.info.tenant = run_tenant(o);
  r.info.realm = std::string(str(o, "realm"));
  r.info.made_at = std::string(str(o, "started_at"));
  if (auto t = parse_utc(r.info.made_at)) r.info.made = *t;
  r.info.selection = selection_of(o);
  type_list_error error;
  if (auto types = parse_type_list(str(o, "types"), error, /*allow_comma=*/true)) {
    r.info.run_types = *types;
  }
}

}  // namespace

namespace {

// A plan's run id and realm reach the terminal and the run: they must be what devreset
// writes (a run id of letters, digits and "._:-"; a realm path as --realm gives it).
void check_plan_names(const std::filesystem::path& path, const plan_info& p) {
  const bool id_ok = !p.run_id.empty() && p.run_id.size() <= 80 &&
                     std::all_of(p.run_id.begin(), p.run_id.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' ||
                              c == '_' || c == ':' || c == '-';
                     });
  if (!id_ok) {
    throw input_error(fmt::format("plan {}: its run id '{}' is none devreset writes", path.string(),
                                  printable(p.run_id, 80)));
  }
  auto realm = realm_path(p.realm);
  if (std::holds_alternative<realm_error>(realm) || std::get<std::string>(realm) != p.realm) {
    throw input_error(fmt::format("plan {}: its realm '{}' is not a realm path", path.string(),
                                  printable(p.realm, 200)));
  }
}

}  // namespace

opened_plan_file::~opened_plan_file() {
  if (fd >= 0) ::close(fd);
}

std::string opened_plan_file::reopen_path() const {
  return fmt::format("/proc/self/fd/{}", fd);
}

plan_info read_plan_info(const std::filesystem::path& path) {
  auto file = open_plan_file(path);
  auto lines = open_lines(*file, path.string());
  std::map<std::string, run_seen> runs;
  try {
    while (const auto* o = lines->next()) {
      const auto record = str(*o, "record");
      if (record == "run") {
        on_run(runs, *o, path);
      } else if (record == "summary") {
        runs[std::string(str(*o, "run_id"))].end = std::string(str(*o, "end"));
      } else if (record == "user") {
        auto it = runs.find(std::string(str(*o, "run_id")));
        auto u = user_record_from_json(*o);
        if (it != runs.end() && u) count_user(it->second.info, *u);
      }
    }
  } catch (const ledger_error& e) {
    throw input_error(fmt::format("plan {}: {}", path.string(), e.what()));
  }
  const run_seen* last = nullptr;
  for (const auto& [id, r] : runs) {
    if (!r.info.run_id.empty() && (last == nullptr || r.order > last->order)) last = &r;
  }
  if (last == nullptr) {
    throw input_error(fmt::format(
        "plan {}: holds no plan (no run record of `devreset plan`{})", path.string(),
        runs.empty() ? "; is it a ledger?" : fmt::format(" among its {} runs", runs.size())));
  }
  if (last->end != "finished") {
    throw input_error(fmt::format(
        "plan {}: plan {} did not finish ({}): plan again into a new ledger", path.string(),
        last->info.run_id, last->end.empty() ? "it has no summary" : last->end));
  }
  check_plan_names(path, last->info);
  plan_info info = last->info;
  info.file = std::move(file);
  info.other_runs = runs.size() - 1;
  return info;
}

plan_reader::plan_reader(const plan_info& info, type_set narrow)
    : lines_(open_lines(info.file ? *info.file : *open_plan_file(info.path), info.path)),
      run_id_(info.run_id),
      narrow_(narrow),
      run_types_(info.run_types & narrow) {}

plan_reader::~plan_reader() = default;

std::uint64_t plan_reader::bytes_read() const {
  return lines_->scan().valid_bytes;
}

namespace {

// A plan's user as a job of the types of `narrow` it looked at.
job job_of(const user_record& u, type_set narrow) {
  job j;
  j.line = u.line;
  j.user_id = u.user_id;
  j.realm = u.realm;
  j.kind = u.kind;
  j.name = u.name;
  j.given = u.given;
  auto entry = std::make_shared<plan_entry>();
  for (const auto& r : u.results) {
    if (!narrow.contains(r.type)) continue;
    j.types.add(r.type);
    if (r.status != result_status::planned) continue;  // no list: reset as it is now
    entry->listed.add(r.type);
    entry->ids[static_cast<std::size_t>(r.type)] = r.device_ids;
  }
  j.plan = std::move(entry);
  return j;
}

// An unresolved user, looked up again for the types the row asked for within `narrow` (nothing
// listed); a plan written before records held them gives `fallback`, the plan's --types.
job unresolved_job(const user_record& u, type_set narrow, type_set fallback) {
  job j = job_of(u, {});
  j.types = u.types.empty() ? fallback : u.types & narrow;
  return j;
}

// A plan's user whose identifiers or realm an input row could not have: an invalid row
// (nothing is sent), as a hand-edited or damaged plan must not steer a request elsewhere.
std::optional<invalid_row> unsafe(const user_record& u) {
  const detail::row_builder check{reader_options{}};
  const bool by_id = u.kind == id_kind::user_id;
  const auto& shown = by_id ? u.user_id : u.name;
  if (u.status == user_status::invalid) return std::nullopt;  // an invalid row already
  auto why = by_id || !u.name.empty() ? check.check_id(shown, u.kind) : std::nullopt;
  if (!why && !by_id && !u.user_id.empty()) why = check.check_id(u.user_id);
  auto realm = realm_path(u.realm);
  if (!why &&
      (std::holds_alternative<realm_error>(realm) || std::get<std::string>(realm) != u.realm))
    why = fmt::format("realm '{}' is not a realm path", printable(u.realm, 200));
  if (!why) return std::nullopt;
  return invalid_row{u.line, shown, fmt::format("in the plan: {}", *why), false, u.kind};
}

}  // namespace

std::optional<input_row> plan_reader::next() {
  try {
    while (const auto* o = lines_->next()) {
      if (str(*o, "record") != "user" || str(*o, "run_id") != run_id_) continue;
      auto u = user_record_from_json(*o);
      if (!u) continue;                       // read_plan_info counted only what reads back
      if (auto bad = unsafe(*u)) return bad;  // a plan is a file: checked as any input
      if (u->status == user_status::invalid) {
        const bool by_id = u->kind == id_kind::user_id;
        return invalid_row{u->line, by_id ? u->user_id : u->name,
                           fmt::format("invalid in the plan: {}", u->reason), false, u->kind};
      }
      auto j = unresolved(*u) ? unresolved_job(*u, narrow_, run_types_) : job_of(*u, narrow_);
      if (j.types.empty()) {
        ++left_out_;
        continue;
      }
      return j;
    }
  } catch (const ledger_error& e) {
    return invalid_row{lines_->line(), {}, e.what(), true, id_kind::user_id};
  }
  return std::nullopt;
}

}  // namespace devreset::io
