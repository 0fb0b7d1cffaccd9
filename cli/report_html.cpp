// The HTML page of a report. The page is written by hand (there is no HTML
// library among our dependencies): text goes through html_escape, charts are SVG rects.
#include "cli/report_html.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>

#include "cli/plan_apply.hpp"
#include "io/json_text.hpp"
#include "io/text.hpp"

namespace devreset::cli {

namespace json = boost::json;

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

constexpr const char* style = R"(
:root{--ok:#1b7f3b;--bad:#b3261e;--warn:#b86e00;--ink:#1c1c1c;--mute:#666;--line:#ddd}
*{box-sizing:border-box}
body{font:15px/1.45 "DejaVu Sans",system-ui,sans-serif;color:var(--ink);margin:0 auto;
 max-width:1100px;padding:16px}
h1{font-size:1.6em;margin:0 0 4px} h2{font-size:1.15em;margin:24px 0 8px;
 border-bottom:1px solid var(--line);padding-bottom:4px}
.sub{color:var(--mute);margin:0 0 12px;word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:8px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 10px}
.card b{display:block;font-size:1.5em} .card span{color:var(--mute);font-size:.9em}
.ok b{color:var(--ok)} .bad b{color:var(--bad)} .warn b{color:var(--warn)}
.scroll{overflow-x:auto} table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums} td{word-break:break-word}
svg{width:100%;height:auto;display:block} .legend span{margin-right:14px;font-size:.9em}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
footer{margin-top:28px;color:var(--mute);font-size:.85em}
@media (max-width:600px){body{padding:8px;font-size:14px}th,td{padding:3px 4px}}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;padding:0;font-size:11pt}h2{break-after:avoid}
 table,svg,.cards{break-inside:avoid}.scroll{overflow:visible}}
)";

std::string card(std::string_view cls, std::string_view id, std::uint64_t n,
                 std::string_view what) {
  return fmt::format("<div class=\"card {}\" id=\"{}\"><b>{}</b><span>{}</span></div>", cls, id, n,
                     what);
}

std::string totals(const ledger_summary& l, const still_to_do& todo) {
  std::string out = "<h2>Users</h2><div class=\"cards\">";
  out += card("", "users-total", l.users.size(), "users");
  for (auto s : user_statuses) {
    const bool good = s == io::user_status::ok || s == io::user_status::planned;
    if (l.count(s) == 0 && s != io::user_status::ok) continue;
    out += card(good ? "ok" : "bad", fmt::format("users-{}", io::to_string(s)), l.count(s),
                std::string(io::to_string(s)));
  }
  if (l.verified > 0) out += card("ok", "users-verified", l.verified, "verified");
  if (todo.not_reached > 0)
    out += card("warn", "users-not-reached", todo.not_reached, "not reached");
  out += "</div>";
  if (l.count(io::user_status::planned) == l.users.size()) return out;  // a plan: its own table
  out +=
      "<h2>Device types</h2><div class=\"scroll\"><table><tr><th>type</th><th class=n>ok</th>"
      "<th class=n>not ok</th><th class=n>devices removed</th><th class=n>users reset by the "
      "action (no count told)</th></tr>";
  for (auto t : io::all_device_types) {
    const auto i = static_cast<std::size_t>(t);
    const auto& b = l.by_type[i];
    if (b[0] + b[1] == 0) continue;
    out += fmt::format(
        "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n "
        "id=\"removed-{}\">{}</td><td class=n>{}</td></tr>",
        io::to_string(t), b[0], b[1], io::to_string(t), l.removed[i], l.untold[i]);
  }
  return out + "</table></div>";
}

std::string runs_table(const ledger_summary& l) {
  static constexpr std::string_view columns[] = {
      "run_id", "mode", "tenant_url",  "realm",  "started_at", "input", "types",
      "shard",  "rate", "concurrency", "verify", "resume",     "plan",  "version"};
  std::string out = "<h2>Runs</h2><div class=\"scroll\"><table><tr>";
  for (auto c : columns)
    out += fmt::format("<th>{}</th>", c);
  out += "<th>end</th></tr>";
  for (std::size_t i = 0; i < l.details.run_records.size(); ++i) {
    const auto& r = l.details.run_records[i];
    out += "<tr>";
    for (auto c : columns)
      out += fmt::format("<td>{}</td>", html_escape(io::printable(field(r, c), 200)));
    const auto end = i < l.runs.size() ? l.runs[i].end : std::string();
    out += fmt::format("<td>{}</td></tr>", end.empty() ? "no summary (killed?)" : html_escape(end));
  }
  return out + "</table></div>";
}

// Bars per time bin (users finished, not ok) and marks for retries and 429s.
std::string timeline(const report_details& d) {
  if (d.timeline.empty()) return "";
  const auto first = d.timeline.begin()->first, last = d.timeline.rbegin()->first;
  const auto span = last - first + 1;
  const auto per_bin = std::max<std::int64_t>(1, (span + 119) / 120);
  std::vector<report_details::second> bins(
      static_cast<std::size_t>((span + per_bin - 1) / per_bin));
  for (const auto& [t, s] : d.timeline) {
    auto& b = bins[static_cast<std::size_t>((t - first) / per_bin)];
    b.users += s.users, b.not_ok += s.not_ok, b.retries += s.retries, b.throttled += s.throttled;
  }
  std::uint64_t top = 1;
  for (const auto& b : bins)
    top = std::max({top, b.users, b.retries, b.throttled});
  const double w = 800.0 / static_cast<double>(bins.size());
  const auto all = d.totals();
  std::string svg = fmt::format(
      "<h2>Timeline</h2><p class=sub>users finished, retries and 429s per {} s, over {} s from "
      "{} (<span id=\"retries\">{}</span> retries, <span id=\"throttled\">{}</span> 429s in "
      "all)</p><svg viewBox=\"0 0 800 220\" role=\"img\" aria-label=\"timeline\">",
      per_bin, span, html_escape(io::format_utc(std::chrono::system_clock::from_time_t(first))),
      all.retries, all.throttled);
  auto y = [&](std::uint64_t v) {
    return 200.0 - 190.0 * static_cast<double>(v) / static_cast<double>(top);
  };
  for (std::size_t i = 0; i < bins.size(); ++i) {
    const auto& b = bins[i];
    const double x = w * static_cast<double>(i);
    svg += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#1b7f3b\"/>", x,
        y(b.users), std::max(1.0, w - 1), 200 - y(b.users));
    if (b.not_ok > 0)
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#b3261e\"/>",
          x, y(b.not_ok), std::max(1.0, w - 1), 200 - y(b.not_ok));
    if (b.retries > 0)
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"#b86e00\"/>",
                         x + w / 2, y(b.retries));
    if (b.throttled > 0)
      svg +=
          fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"6\" height=\"6\" fill=\"#5b3cc4\"/>",
                      x + w / 2 - 3, y(b.throttled) - 3);
  }
  svg += fmt::format(
      "<line x1=\"0\" y1=\"200\" x2=\"800\" y2=\"200\" stroke=\"#999\"/><text x=\"2\" "
      "y=\"12\" font-size=\"11\">{}</text><text x=\"2\" y=\"215\" font-size=\"11\">0 s"
      "</text><text x=\"760\" y=\"215\" font-size=\"11\">{} s</text></svg>",
      top, span);
  return svg +
         "<p class=legend><span><i class=sw style=\"background:#1b7f3b\"></i>users</span>"
         "<span><i class=sw style=\"background:#b3261e\"></i>not ok</span><span><i class=sw "
         "style=\"background:#b86e00\"></i>retries</span><span><i class=sw "
         "style=\"background:#5b3cc4\"></i>429s</span></p>";
}

std::string latency(const report_details& d) {
  std::string out = "<h2>Latency</h2>";
  if (!d.summary_records.empty()) {
    out +=
        "<div class=\"scroll\"><table><tr><th>run</th><th class=n>requests</th><th class=n>p50 "
        "ms</th><th class=n>p90</th><th class=n>p99</th><th class=n>p99.9</th><th "
        "class=n>max</th><th class=n>retries</th><th class=n>429s</th></tr>";
    for (const auto& s : d.summary_records) {
      const auto* lat = s.if_contains("latency_ms");
      auto q = [&](const char* k) {
        return html_escape(lat != nullptr && lat->is_object() ? field(lat->get_object(), k) : "");
      };
      auto f = [&](const char* k) { return html_escape(io::printable(field(s, k), 100)); };
      out += fmt::format(
          "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td "
          "class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td "
          "class=n>{}</td></tr>",
          f("run_id"), f("requests"), q("p50"), q("p90"), q("p99"), q("p999"), q("max"),
          f("retries"), f("throttled_429"));
    }
    out += "</table></div>";
  }
  std::uint64_t top = 1;
  std::size_t last = 0;
  for (std::size_t k = 0; k < d.type_ms.size(); ++k) {
    top = std::max(top, d.type_ms[k]);
    if (d.type_ms[k] > 0) last = k;
  }
  out +=
      "<p class=sub>time per device type and user (its requests and retries), in ms</p>"
      "<svg viewBox=\"0 0 800 160\" role=\"img\" aria-label=\"histogram\">";
  const double w = 800.0 / static_cast<double>(last + 1);
  for (std::size_t k = 0; k <= last; ++k) {
    const double h = 130.0 * static_cast<double>(d.type_ms[k]) / static_cast<double>(top);
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"#3a6ea5\"/><text x=\"{:.1f}\" y=\"155\" font-size=\"10\">{}</text>",
        w * static_cast<double>(k), 140 - h, std::max(1.0, w - 2), h, w * static_cast<double>(k),
        k == 0 ? std::string("<1") : fmt::format("{}", 1u << (k - 1)));
  }
  return out + "</svg>";
}

// A cleanup by age: what each type kept and why, and the removed devices by their last use.
std::string by_age(const ledger_summary& l) {
  if (!l.by_age) return {};
  std::string out =
      "<h2>Cleanup by age</h2><div class=\"scroll\"><table><tr><th>type</th><th "
      "class=n>removed</th><th class=n>kept: used since the cut-off</th><th class=n>kept: "
      "undated</th></tr>";
  for (auto t : io::all_device_types) {
    const auto i = static_cast<std::size_t>(t);
    if (l.removed[i] + l.kept_recent[i] + l.kept_undated[i] == 0) continue;
    const auto name = io::to_string(t);
    out += fmt::format(
        "<tr><td>{}</td><td class=n>{}</td><td class=n id=\"kept-recent-{}\">{}</td><td class=n "
        "id=\"kept-undated-{}\">{}</td></tr>",
        name, l.removed[i], name, l.kept_recent[i], name, l.kept_undated[i]);
  }
  out +=
      "</table></div><p class=sub>devices removed, by their last use before the run</p><svg "
      "viewBox=\"0 0 800 160\" role=\"img\" aria-label=\"ages\">";
  const auto top = std::max<std::uint64_t>(
      1, *std::max_element(l.removed_by_age.begin(), l.removed_by_age.end()));
  for (std::size_t b = 0; b < l.removed_by_age.size(); ++b) {
    const double h = 120.0 * static_cast<double>(l.removed_by_age[b]) / static_cast<double>(top);
    out += fmt::format(
        "<rect x=\"{}\" y=\"{:.1f}\" width=\"150\" height=\"{:.1f}\" fill=\"#3a6ea5\"/><text "
        "x=\"{}\" y=\"155\" font-size=\"11\">{}: {}</text>",
        b * 160, 135 - h, h, b * 160, l.age_bands[b], l.removed_by_age[b]);
  }
  return out + "</svg>";
}

std::string errors(const report_details& d) {
  if (d.errors.empty()) return "";
  std::vector<std::pair<std::string, report_details::reason>> top(d.errors.begin(), d.errors.end());
  std::sort(top.begin(), top.end(),
            [](const auto& a, const auto& b) { return a.second.count > b.second.count; });
  if (top.size() > 10) top.resize(10);
  std::string out =
      "<h2>Top reasons</h2><div class=\"scroll\"><table><tr><th>reason</th><th "
      "class=n>users</th><th>for example</th></tr>";
  for (const auto& [why, r] : top) {
    std::string examples;
    for (const auto& e : r.examples)
      examples += (examples.empty() ? "" : ", ") + html_escape(e);
    out += fmt::format("<tr><td>{}</td><td class=n>{}</td><td>{}</td></tr>",
                       html_escape(io::printable(why, 300)), r.count, examples);
  }
  return out + "</table></div>";
}

std::string plan_section(const io::plan_info& p) {
  std::string out = fmt::format(
      "<h2>Plan</h2><p>Plan {} made {} on {}, realm {}. Would remove:</p>"
      "<table><tr><th>type</th><th class=n>devices</th><th class=n>users</th></tr>",
      html_escape(p.run_id), html_escape(p.made_at), html_escape(p.tenant), html_escape(p.realm));
  for (auto t : io::all_device_types) {
    const auto i = static_cast<std::size_t>(t);
    if (!p.types.contains(t)) continue;
    out += fmt::format("<tr><td>{}</td><td class=n id=\"plan-{}\">{}</td><td class=n>{}</td></tr>",
                       io::to_string(t), io::to_string(t), p.devices[i], p.users_with[i]);
  }
  return out + fmt::format("</table><p>{} users have nothing to remove.</p>", p.users_empty);
}

// A plan's users with something to remove, and what (the first 1,000; the CSV has them all).
std::string plan_users(const report_options& o, const ledger_summary& l) {
  constexpr std::size_t shown = 1000;
  std::string rows;
  std::size_t n = 0;
  for_each_latest(o, l, [&](const json::object& rec, const user_state& user) {
    if (static_cast<io::user_status>(user.status) != io::user_status::planned) return;
    auto devices = devices_of(rec);
    if (devices.empty() || n++ >= shown) return;
    rows +=
        fmt::format("<tr><td>{}</td><td>{}</td></tr>",
                    html_escape(io::printable(named_by(rec).second, 200)), html_escape(devices));
  });
  if (n == 0) return "<p>No user has a device to remove.</p>";
  return fmt::format(
      "<h2>Per user</h2><p class=sub>{} users with devices to remove{}</p><div "
      "class=\"scroll\"><table id=\"plan-users\"><tr><th>user</th><th>would remove</th></tr>{}"
      "</table></div>",
      n, n > shown ? fmt::format(" (the first {}; report --csv lists them all)", shown) : "", rows);
}

std::string unreached_section(const still_to_do& todo) {
  std::string out;
  for (const auto& u : todo.inputs) {
    if (!u.problem.empty()) {
      out += fmt::format("<p>Cannot tell which users of {} were not reached ({}): {}</p>",
                         html_escape(u.input), html_escape(u.why), html_escape(u.problem));
    } else if (u.users > 0) {
      out += fmt::format("<p>{} user(s) of {} not reached: {}.</p>", u.users, html_escape(u.input),
                         html_escape(u.why));
    }
  }
  return out.empty() ? out : "<h2>Not reached</h2>" + out;
}

}  // namespace

std::string report_html(const report_options& o, const ledger_summary& l, const still_to_do& todo,
                        const std::optional<io::plan_info>& plan) {
  const auto now = io::format_utc(std::chrono::system_clock::now());
  std::string out = fmt::format(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta "
      "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>devreset report: {}</title><style>{}"
      "</style></head><body><h1>devreset report</h1><p class=sub>{}: {} run{}, {} users. "
      "Made {} by devreset {}.</p>",
      html_escape(o.names()), style, html_escape(o.names()), l.runs.size(),
      l.runs.size() == 1 ? "" : "s", l.users.size(), now, DEVRESET_VERSION_STRING);
  out += totals(l, todo);
  if (plan) out += plan_section(*plan) + plan_users(o, l);
  out += by_age(l) + unreached_section(todo) + errors(l.details) + timeline(l.details) +
         latency(l.details) + runs_table(l);
  out +=
      "<footer>Every figure comes from the ledger's records: a user's latest record wins. "
      "Secrets never reach a ledger, so none are here.</footer></body></html>\n";
  return out;
}

}  // namespace devreset::cli
