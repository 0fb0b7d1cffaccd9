// `report --csv` (cli/report_csv.hpp).
#include "cli/report_csv.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "cli/report_reach.hpp"
#include "io/text.hpp"

namespace devreset::cli {

namespace json = boost::json;

std::string report_csv(const report_options& o, const ledger_summary& l) {
  std::string out =
      "identifier,named_by,user_id,realm,status,types_done,types_not_done,devices,error\n";
  for_each_latest(o, l, [&](const json::object& rec, const user_state& user) {
    const auto [kind, name] = named_by(rec);
    const auto done = io::type_set::from_bits(user.ok);
    const auto left = io::type_set::from_bits(user.tried).minus(done);
    std::string error = field(rec, "reason");
    if (const auto* r = rec.if_contains("results"); r != nullptr && r->is_array()) {
      for (const auto& x : r->get_array()) {
        if (error.empty() && x.is_object()) error = field(x.get_object(), "error");
      }
    }
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{}\n", csv_field(io::printable(name, 4096)), io::to_string(kind),
        csv_field(io::printable(field(rec, "user_id"), 4096)), csv_field(field(rec, "realm")),
        io::to_string(static_cast<io::user_status>(user.status)), done.to_string(';'),
        left.to_string(';'), devices_of(rec), csv_field(io::printable(error, 300)));
  });
  // The users the unfinished runs never reached are rows too (status not_reached).
  auto known = [&](std::uint64_t key) { return l.users.contains(key); };
  const auto inputs = find_unreached(with_missing_shards(l.runs), known, [&](const io::job& j) {
    const bool by_id = j.kind == io::id_kind::user_id;
    out += fmt::format("{},{},{},{},not_reached,,{},,\n",
                       csv_field(io::printable(by_id ? j.user_id : j.name, 4096)),
                       io::to_string(j.kind), csv_field(io::printable(j.user_id, 4096)),
                       csv_field(j.realm), j.types.to_string(';'));
  });
  for (const auto& u : inputs) {  // an input that cannot be read again: said in the file
    if (!u.problem.empty())
      out += fmt::format("# users of {} not reached could not be listed: {}\n",
                         io::printable(u.input, 300), io::printable(u.problem, 300));
  }
  return out;
}

}  // namespace devreset::cli
