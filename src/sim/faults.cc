// Fault spec parsing and the per-request decision.
#include "sim/faults.h"

#include <cmath>

#include "common/strings.h"

namespace thaw::sim {
namespace {

// Splits "12.5MiB" into 12.5 and "MiB".
bool SplitNumber(std::string_view s, double* number, std::string_view* unit) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return false;
  try {
    *number = std::stod(std::string(s.substr(0, i)));
  } catch (...) {
    return false;
  }
  *unit = Trim(s.substr(i));
  return true;
}

}  // namespace

Result<std::chrono::microseconds> ParseDuration(std::string_view s) {
  double n = 0;
  std::string_view unit;
  if (!SplitNumber(Trim(s), &n, &unit))
    return Status::InvalidArgument("bad duration '" + std::string(s) + "'");
  double us;
  if (unit == "us")
    us = n;
  else if (unit == "ms" || unit.empty())
    us = n * 1e3;
  else if (unit == "s")
    us = n * 1e6;
  else if (unit == "m" || unit == "min")
    us = n * 60e6;
  else if (unit == "h")
    us = n * 3600e6;
  else if (unit == "d")
    us = n * 86400e6;
  else
    return Status::InvalidArgument("bad duration unit in '" + std::string(s) + "'");
  return std::chrono::microseconds(static_cast<int64_t>(us));
}

Result<uint64_t> ParseBandwidth(std::string_view s) {
  std::string_view t = Trim(s);
  if (EndsWith(t, "/s")) t.remove_suffix(2);
  double n = 0;
  std::string_view unit;
  if (!SplitNumber(t, &n, &unit))
    return Status::InvalidArgument("bad bandwidth '" + std::string(s) + "'");
  double mult;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KiB")
    mult = 1024;
  else if (unit == "MiB")
    mult = 1024.0 * 1024;
  else if (unit == "GiB")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "KB" || unit == "kB")
    mult = 1e3;
  else if (unit == "MB")
    mult = 1e6;
  else if (unit == "GB")
    mult = 1e9;
  else
    return Status::InvalidArgument("bad bandwidth unit in '" + std::string(s) + "'");
  if (n * mult < 1) return Status::InvalidArgument("bandwidth must be at least 1 B/s");
  return static_cast<uint64_t>(n * mult);
}

Result<std::vector<FaultRule>> ParseFaultSpec(std::string_view spec) {
  std::vector<FaultRule> rules;
  for (const std::string& raw_rule : Split(spec, ';')) {
    if (Trim(raw_rule).empty()) continue;
    FaultRule rule;
    for (const std::string& raw : Split(raw_rule, ',')) {
      std::string_view item = Trim(raw);
      if (item.empty()) continue;
      size_t eq = item.find('=');
      std::string key(Trim(item.substr(0, eq)));
      std::string value(eq == std::string_view::npos ? "" : Trim(item.substr(eq + 1)));
      auto bad = [&] {
        return Status::InvalidArgument("fault rule: bad setting '" + std::string(item) + "'");
      };
      if (key == "op") {
        for (const std::string& op : Split(value, '|')) {
          if (op.empty()) return bad();
          if (op != "*") rule.ops.push_back(op);
        }
      } else if (key == "rate") {
        try {
          rule.rate = std::stod(value);
        } catch (...) {
          return bad();
        }
        if (!(rule.rate >= 0 && rule.rate <= 1)) return bad();
      } else if (key == "count") {
        auto n = ParseInt64(value);
        if (!n || *n < 0) return bad();
        rule.count = *n;
      } else if (key == "error") {
        if (value.empty()) return bad();
        rule.error = value;
      } else if (key == "status") {
        auto n = ParseInt64(value);
        if (!n || *n < 100 || *n > 599) return bad();
        rule.status = static_cast<int>(*n);
      } else if (key == "latency") {
        THAW_ASSIGN_OR_RETURN(rule.latency, ParseDuration(value));
      } else if (key == "bandwidth") {
        THAW_ASSIGN_OR_RETURN(rule.bandwidth_bytes_per_s, ParseBandwidth(value));
      } else if (key == "capacity") {
        std::string_view n = value;
        if (EndsWith(n, "/s")) n.remove_suffix(2);
        try {
          size_t used = 0;
          rule.capacity_per_s = std::stod(std::string(n), &used);
          if (used != n.size()) return bad();
        } catch (...) {
          return bad();
        }
        if (!(rule.capacity_per_s > 0 && rule.capacity_per_s <= 1e7)) return bad();
      } else if (key == "reset" && eq == std::string_view::npos) {
        rule.reset = true;
      } else if (key == "truncate" && eq == std::string_view::npos) {
        rule.truncate = true;
      } else {
        return bad();
      }
    }
    if (rule.error.empty() && rule.latency.count() == 0 && rule.bandwidth_bytes_per_s == 0 &&
        !rule.reset && !rule.truncate && rule.capacity_per_s == 0) {
      return Status::InvalidArgument("fault rule '" + raw_rule + "' has no effect");
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

FaultInjector::FaultInjector(uint64_t seed) : rng_(seed) {}

Status FaultInjector::SetSpec(std::string_view spec) {
  THAW_ASSIGN_OR_RETURN(auto rules, ParseFaultSpec(spec));
  std::lock_guard<std::mutex> lock(mu_);
  rules_ = std::move(rules);
  spec_ = std::string(spec);
  return Status::Ok();
}

std::string FaultInjector::spec() const {
  std::lock_guard<std::mutex> lock(mu_);
  return spec_;
}

FaultPlan FaultInjector::Decide(std::string_view op) {
  return Decide(op, std::chrono::steady_clock::now());
}

FaultPlan FaultInjector::Decide(std::string_view op, std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  FaultPlan plan;
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  for (FaultRule& rule : rules_) {
    if (!rule.ops.empty()) {
      bool match = false;
      for (const std::string& o : rule.ops) match = match || o == op;
      if (!match) continue;
    }
    if (rule.count && *rule.count <= 0) continue;
    if (rule.rate < 1.0 && dist(rng_) >= rule.rate) continue;
    if (rule.count) --*rule.count;
    if (!rule.error.empty() && plan.error.empty()) {
      plan.error = rule.error;
      plan.status = rule.status;
    }
    plan.latency += rule.latency;
    if (rule.capacity_per_s > 0) {
      // Served after whatever is ahead in the queue; answered when its own turn ends.
      auto turn = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(1.0 / rule.capacity_per_s));
      rule.busy_until = std::max(now, rule.busy_until) + turn;
      plan.latency += std::chrono::duration_cast<std::chrono::microseconds>(rule.busy_until - now);
    }
    if (rule.bandwidth_bytes_per_s > 0 &&
        (plan.bandwidth_bytes_per_s == 0 ||
         rule.bandwidth_bytes_per_s < plan.bandwidth_bytes_per_s)) {
      plan.bandwidth_bytes_per_s = rule.bandwidth_bytes_per_s;
    }
    plan.reset = plan.reset || rule.reset;
    plan.truncate = plan.truncate || rule.truncate;
  }
  return plan;
}

}  // namespace thaw::sim
