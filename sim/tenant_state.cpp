// The simulated tenant's population and device operations.
#include "sim/tenant_state.hpp"

#include "io/text.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <random>

namespace devreset::sim {

namespace json = boost::json;
using io::device_type;

namespace {

// A 64-bit mix (splitmix64's finaliser): derives stable values from the seed and indexes.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t load64(const std::array<std::uint8_t, 16>& b, int half) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | b[static_cast<std::size_t>(half * 8 + i)];
  return v;
}

std::array<std::uint8_t, 16> uuid_from(std::uint64_t hi, std::uint64_t lo) {
  std::array<std::uint8_t, 16> b{};
  for (int i = 0; i < 8; ++i) {
    b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
    b[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
  }
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return b;
}

// What the sim seeds of each type: the name AM gives a new device, and how many a user has,
// as cumulative weights per mille ({400}: 60% have none, 40% one).
struct seeding {
  std::string_view device_name;
  std::array<int, 3> cumulative;  // up to 3 devices; trailing 0s unused
};
constexpr seeding seed_of[] = {
    {"OATH Device", {400}},  {"Push Device", {600}},         {"New Security Key", {400, 700, 900}},
    {"Bound Device", {700}}, {"Device Profile", {500, 850}}, {"Trusted Device", {800}},
};
static_assert(std::size(seed_of) == io::device_type_count, "a seeding per io::device_types row");

// Picks a count from cumulative weights (per mille) using a uniform draw in [0, 1000).
std::uint8_t pick(std::uint64_t draw, const std::array<int, 3>& cumulative) {
  int v = static_cast<int>(draw % 1000);
  std::uint8_t n = 0;
  for (int c : cumulative) {
    if (c == 0 || v < c) return n;
    ++n;
  }
  return n;
}

}  // namespace

std::string format_uuid(const std::array<std::uint8_t, 16>& b) {
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

std::optional<std::array<std::uint8_t, 16>> parse_uuid(std::string_view s) {
  if (s.size() != 36) return std::nullopt;
  std::array<std::uint8_t, 16> b{};
  std::size_t out = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;  // upper case is not the tenant's form
    };
    int h = hex(s[i]), l = hex(s[i + 1]);
    if (h < 0 || l < 0) return std::nullopt;
    b[out++] = static_cast<std::uint8_t>(h * 16 + l);
    i += 2;
  }
  return b;
}

tenant_state::tenant_state(std::string realm_path, std::uint64_t users, std::uint64_t seed)
    : realm_path_(std::move(realm_path)), seed_(seed) {
  std::mt19937_64 rng(seed);
  users_.reserve(users);
  for (std::uint64_t i = 0; i < users; ++i) {
    user u{};
    std::uint64_t hi = rng(), lo = rng();
    u.uuid = uuid_from(hi, lo);
    std::uint64_t d = rng();
    auto draw = [&](int slot) { return mix(d + static_cast<std::uint64_t>(slot)); };
    for (std::size_t t = 0; t < type_count; ++t)
      u.count[t] = pick(draw(static_cast<int>(t)), seed_of[t].cumulative);
    users_.push_back(u);
  }
  std::sort(users_.begin(), users_.end(),
            [](const user& a, const user& b) { return a.uuid < b.uuid; });
  seeded_ = users_.size();
}

void tenant_state::add_user(const std::string& realm_path, const std::string& id,
                            device_counts counts, std::string user_name, std::string mail) {
  added_identity_.push_back({realm_path, id, std::move(user_name), std::move(mail)});
  user u{};
  auto h = std::hash<std::string>{}(realm_path + '\n' + id);
  u.uuid = uuid_from(mix(h), mix(h + 1));
  for (std::size_t t = 0; t < type_count; ++t) {
    u.count[t] = std::min<std::uint8_t>(counts[t], max_devices_per_type);
  }
  added_[realm_path + '\n' + id] = users_.size();
  users_.push_back(u);
  if (std::find(added_realms_.begin(), added_realms_.end(), realm_path) == added_realms_.end()) {
    added_realms_.push_back(realm_path);
  }
}

bool tenant_state::has_realm(std::string_view realm_path) const {
  return realm_path == realm_path_ ||
         std::find(added_realms_.begin(), added_realms_.end(), realm_path) != added_realms_.end();
}

std::optional<tenant_state::user_ref> tenant_state::find(std::string_view realm_path,
                                                         std::string_view id) const {
  if (!added_.empty()) {
    std::string key;
    key.reserve(realm_path.size() + 1 + id.size());
    key.append(realm_path).append(1, '\n').append(id);
    if (auto it = added_.find(key); it != added_.end()) return user_ref{it->second};
  }
  if (realm_path != realm_path_) return std::nullopt;
  auto uuid = parse_uuid(id);
  if (!uuid) return std::nullopt;
  auto end = users_.begin() + static_cast<std::ptrdiff_t>(seeded_);
  auto it = std::lower_bound(users_.begin(), end, *uuid,
                             [](const user& u, const auto& key) { return u.uuid < key; });
  if (it == end || it->uuid != *uuid) return std::nullopt;
  return user_ref{static_cast<std::size_t>(it - users_.begin())};
}

std::string tenant_state::user_id(std::size_t index) const {
  return format_uuid(users_[index].uuid);
}

std::string tenant_state::id_of(user_ref u) const {
  return u.index < seeded_ ? user_id(u.index) : added_identity_[u.index - seeded_].id;
}

std::string tenant_state::user_name(user_ref u) const {
  return u.index < seeded_ ? fmt::format("user{:06}", u.index)
                           : added_identity_[u.index - seeded_].user_name;
}

std::optional<std::string> tenant_state::mail(user_ref u) const {
  if (u.index >= seeded_) {
    const auto& m = added_identity_[u.index - seeded_].mail;
    return m.empty() ? std::nullopt : std::optional<std::string>(m);
  }
  const auto owner = u.index % 50 == 49 ? u.index - 1 : u.index;
  return fmt::format("user{:06}@example.com", owner);
}

namespace {

// The index in `user000042` (any case; six digits or more, no sign), or nullopt.
std::optional<std::size_t> seeded_index(std::string_view name) {
  if (name.size() < 10 || !io::iequals(name.substr(0, 4), "user")) return std::nullopt;
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(name.data() + 4, name.data() + name.size(), v);
  if (ec != std::errc() || end != name.data() + name.size()) return std::nullopt;
  if (fmt::format("{:06}", v) != name.substr(4)) return std::nullopt;  // one spelling each
  return v;
}

}  // namespace

std::vector<tenant_state::user_ref> tenant_state::find_by(std::string_view attribute,
                                                          std::string_view value) const {
  std::vector<user_ref> out;
  if (attribute == "_id") {
    if (auto u = find(realm_path_, value)) out.push_back(*u);
  } else if (attribute == "userName") {
    if (auto i = seeded_index(value); i && *i < seeded_) out.push_back({*i});
  } else if (attribute == "mail") {
    constexpr std::string_view domain = "@example.com";
    if (value.size() > domain.size() &&
        io::iequals(value.substr(value.size() - domain.size()), domain)) {
      auto i = seeded_index(value.substr(0, value.size() - domain.size()));
      if (i && *i < seeded_ && *i % 50 != 49) {
        out.push_back({*i});
        if (*i % 50 == 48 && *i + 1 < seeded_) out.push_back({*i + 1});
      }
    }
  } else {
    return out;
  }
  if (attribute == "_id") return out;
  for (std::size_t k = 0; k < added_identity_.size(); ++k) {  // added users: few, scanned
    const auto& a = added_identity_[k];
    const auto& v = attribute == "userName" ? a.user_name : a.mail;
    if (a.realm == realm_path_ && !v.empty() && io::iequals(v, value)) {
      out.push_back({seeded_ + k});
    }
  }
  return out;
}

std::string tenant_state::group_id(std::size_t k) const {
  return format_uuid(uuid_from(mix(seed_ ^ 0x67726f7570ull), mix(k)));
}

std::optional<std::size_t> tenant_state::find_group(std::string_view id) const {
  for (std::size_t k = 0; k < group_count; ++k)
    if (group_id(k) == id) return k;
  return std::nullopt;
}

std::size_t tenant_state::member_count(std::size_t k) const {
  return seeded_ > k ? (seeded_ - k + group_count - 1) / group_count : 0;
}

std::string tenant_state::device_id(const user& u, device_type t, int k) const {
  auto base = mix(seed_ ^ load64(u.uuid, 0)) ^ load64(u.uuid, 1);
  auto v = mix(base + static_cast<std::uint64_t>(t) * 16 + static_cast<std::uint64_t>(k));
  return format_uuid(uuid_from(v, mix(v)));
}

json::object tenant_state::device_json(const user& u, device_type t, int k, bool secrets) const {
  auto id = device_id(u, t, k);
  auto ti = static_cast<std::size_t>(t);
  auto v = mix(load64(u.uuid, 1) + ti * 16 + static_cast<std::size_t>(k));
  json::object o;
  o["_id"] = id;
  o["_rev"] = std::to_string(v % 1000000000);
  o["deviceName"] = seed_of[ti].device_name;
  o["uuid"] = id;
  o["deviceManagementStatus"] = false;
  put_dates(o, u, t, k, v);
  switch (t) {
    case device_type::oath:
    case device_type::push:
      if (secrets) {
        o["recoveryCodes"] = json::array{fmt::format("sim-secret-rc-{:016x}", mix(v)),
                                         fmt::format("sim-secret-rc-{:016x}", mix(v + 1))};
        o["sharedSecret"] = fmt::format("sim-secret-key-{:016x}", mix(v + 2));
      }
      break;
    case device_type::webauthn:
      o["credentialId"] = fmt::format("cred-{:016x}", mix(v + 3));
      if (secrets)
        o["key"] =
            json::object{{"kty", "EC"}, {"d", fmt::format("sim-secret-key-{:016x}", mix(v + 4))}};
      break;
    case device_type::binding:
      o["deviceId"] = fmt::format("dev-{:016x}", mix(v + 5));
      if (secrets)
        o["key"] =
            json::object{{"kty", "RSA"}, {"d", fmt::format("sim-secret-key-{:016x}", mix(v + 6))}};
      break;
    case device_type::profile:
      o["identifier"] = fmt::format("{:016x}", mix(v + 7));
      break;
    case device_type::trusted:
      break;
  }
  return o;
}

void tenant_state::reset(user_ref ref, device_type t, bool keep_one) {
  auto& u = users_[ref.index];
  auto ti = static_cast<std::size_t>(t);
  u.deleted[ti] = keep_one ? static_cast<std::uint8_t>(u.deleted[ti] | 0xfe) : 0xff;
  if (u.resets[ti] < 255) ++u.resets[ti];
}

std::vector<json::object> tenant_state::list(user_ref ref, device_type t) const {
  const auto& u = users_[ref.index];
  auto ti = static_cast<std::size_t>(t);
  std::vector<json::object> out;
  for (int k = 0; k < u.count[ti]; ++k) {
    if (alive(u, ti, k)) out.push_back(device_json(u, t, k, false));
  }
  return out;
}

std::optional<json::object> tenant_state::remove(user_ref ref, device_type t,
                                                 std::string_view device) {
  auto& u = users_[ref.index];
  auto ti = static_cast<std::size_t>(t);
  for (int k = 0; k < u.count[ti]; ++k) {
    if (!alive(u, ti, k) || device_id(u, t, k) != device) continue;
    u.deleted[ti] = static_cast<std::uint8_t>(u.deleted[ti] | (1u << k));
    ++deletes_;
    return device_json(u, t, k, true);
  }
  return std::nullopt;
}

std::optional<std::string> tenant_state::register_device(user_ref ref, device_type t) {
  auto& u = users_[ref.index];
  auto ti = static_cast<std::size_t>(t);
  if (u.count[ti] >= max_devices_per_type) return std::nullopt;
  const int k = u.count[ti]++;
  u.deleted[ti] = static_cast<std::uint8_t>(u.deleted[ti] & ~(1u << k));
  return device_id(u, t, k);
}

void tenant_state::set_ages(std::vector<age_bucket> buckets, std::int64_t now_ms) {
  ages_ = std::move(buckets);
  ages_now_ms_ = now_ms;
}

std::size_t tenant_state::age_of(const user& u, std::size_t t, int k) const {
  const auto h =
      mix(load64(u.uuid, 1) ^ mix(seed_ + 0xa9e5 + t * 16 + static_cast<std::size_t>(k)));
  const double draw = static_cast<double>(h >> 11) * 0x1.0p-53;
  double sum = 0;
  for (std::size_t b = 0; b < ages_.size(); ++b) {
    sum += ages_[b].share;
    if (draw < sum) return b;
  }
  return ages_.size() - 1;
}

// A device's dates, as AM 8 writes them (epoch ms): from its age bucket, or fixed ones.
void tenant_state::put_dates(json::object& o, const user& u, device_type t, int k,
                             std::uint64_t v) const {
  const auto& row = io::info(t);
  constexpr std::int64_t day = 86400000;
  if (ages_.empty()) {
    const std::int64_t created = 1700000000000 + static_cast<std::int64_t>(v % 60000000000);
    if (!row.created_field.empty()) o[row.created_field] = created;
    if (!row.last_used_field.empty())
      o[row.last_used_field] = row.created_field.empty() ? created : created + day;
    return;
  }
  const auto& b = ages_[age_of(u, static_cast<std::size_t>(t), k)];
  if (b.days < 0) {  // undated: registered long ago, its last use never written
    if (!row.created_field.empty()) o[row.created_field] = ages_now_ms_ - 300 * day;
    return;
  }
  const std::int64_t used = ages_now_ms_ - b.days * day - day / 2;
  if (!row.created_field.empty()) o[row.created_field] = used - 30 * day;
  if (!row.last_used_field.empty()) o[row.last_used_field] = used;
}

std::vector<std::pair<std::string, std::uint64_t>> tenant_state::devices_left_by_age(
    device_type type) const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  if (ages_.empty()) return out;  // no --device-ages: no bands to count
  std::vector<std::uint64_t> left(ages_.size());
  const auto t = static_cast<std::size_t>(type);
  for (const auto& u : users_) {
    for (int k = 0; k < u.count[t]; ++k)
      if (alive(u, t, k)) ++left[age_of(u, t, k)];
  }
  for (std::size_t b = 0; b < ages_.size(); ++b)
    out.emplace_back(ages_[b].days < 0 ? std::string("undated") : std::to_string(ages_[b].days),
                     left[b]);
  return out;
}

std::array<std::uint64_t, type_count> tenant_state::devices_left() const {
  std::array<std::uint64_t, type_count> left{};
  for (const auto& u : users_) {
    for (std::size_t t = 0; t < type_count; ++t) {
      for (int k = 0; k < u.count[t]; ++k)
        left[t] += alive(u, t, k) ? 1 : 0;
    }
  }
  return left;
}

std::array<std::uint64_t, 3> tenant_state::reset_histogram() const {
  std::array<std::uint64_t, 3> h{};
  for (const auto& u : users_) {
    auto most = *std::max_element(u.resets.begin(), u.resets.end());
    h[std::min<std::size_t>(most, 2)] += 1;
  }
  return h;
}

}  // namespace devreset::sim
