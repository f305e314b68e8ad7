// The sim's STS endpoint, on the same port as S3: the Query API (form POST to "/", or GET with
// Action=) for AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity, answered with AWS's
// XML documents and errors (<ErrorResponse><Error><Type>Sender</Type><Code>...). The temporary
// credentials it issues are accepted by the S3 side's SigV4 check until they expire on the sim
// clock (sts_sessions.h).
//
// What the sim does not model: IAM roles and their trust or permission policies (any well-formed
// role ARN may be assumed, by anyone holding valid credentials), each role's MaxSessionDuration
// (every role allows STS's maximum of 12 hours), and identity providers (any non-empty web
// identity token is accepted). Limits that do not depend on IAM are AWS's: DurationSeconds from
// 900 to 43200, and at most 3600 when the caller itself uses assumed-role credentials (role
// chaining); RoleSessionName of 2-64 characters of [\w+=,.@-].
#include <spdlog/spdlog.h>

#include <cctype>
#include <map>

#include "common/strings.h"
#include "common/time_format.h"
#include "sim/s3_error.h"
#include "sim/service.h"
#include "sim/xml_writer.h"

namespace thaw::sim {
namespace {

constexpr char kStsNamespace[] = "https://sts.amazonaws.com/doc/2011-06-15/";
constexpr int kMinDuration = 900;
constexpr int kMaxDuration = 43200;
constexpr int kChainedMaxDuration = 3600;
constexpr int kDefaultDuration = 3600;

Response StsError(int status, const std::string& code, const std::string& message,
                  const std::string& request_id) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "text/xml");
  r.error_code = code;
  r.error_message = message;
  r.body = std::string("<ErrorResponse xmlns=\"") + kStsNamespace + "\">\n  <Error>\n" +
           "    <Type>" + (status >= 500 ? "Receiver" : "Sender") + "</Type>\n    <Code>" +
           XmlEscape(code) + "</Code>\n    <Message>" + XmlEscape(message) +
           "</Message>\n  </Error>\n  <RequestId>" + request_id +
           "</RequestId>\n</ErrorResponse>\n";
  return r;
}

// The S3-flavoured refusal of the SigV4 check, as STS words it.
Response AuthError(const Status& s, const std::string& request_id) {
  S3Error e = ToS3Error(s);
  if (e.code == "ExpiredToken") {
    return StsError(400, "ExpiredToken", "The security token included in the request is expired",
                    request_id);
  }
  if (e.code == "InvalidAccessKeyId" || e.code == "InvalidToken") {
    return StsError(403, "InvalidClientTokenId",
                    "The security token included in the request is invalid.", request_id);
  }
  if (e.code == "SignatureDoesNotMatch") {
    return StsError(403, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your AWS Secret Access Key and signing method. Consult the "
                    "service documentation for details.",
                    request_id);
  }
  if (e.code == "AccessDenied" && !StartsWith(e.message, "AWS authentication requires")) {
    return StsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token",
                    request_id);
  }
  return StsError(e.http_status == 500 ? 400 : e.http_status, e.code, e.message, request_id);
}

Response ValidationError(const std::string& message, const std::string& request_id) {
  return StsError(400, "ValidationError", message, request_id);
}

std::string ConstraintError(const std::string& value, const std::string& field,
                            const std::string& constraint) {
  return "1 validation error detected: Value " + (value.empty() ? "null" : "'" + value + "'") +
         " at '" + field + "' failed to satisfy constraint: " + constraint;
}

// The form body of a POST (or the query of a GET), decoded.
Result<std::map<std::string, std::string>> Params(const Request& req) {
  if (req.method == "GET") return req.query;
  std::map<std::string, std::string> params;
  for (const std::string& piece : Split(req.body, '&')) {
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    auto name = UriDecode(piece.substr(0, eq), true);
    auto value = UriDecode(eq == std::string::npos ? "" : piece.substr(eq + 1), true);
    if (!name || !value) return Status::InvalidArgument("malformed form body");
    params[*name] = *value;
  }
  return params;
}

std::string Get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

// arn:PARTITION:iam::ACCOUNT(12 digits):role/[PATH/]NAME
bool IsRoleArn(const std::string& arn) {
  std::vector<std::string> parts = Split(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || parts[1].empty() || parts[2] != "iam" ||
      !parts[3].empty() || parts[4].size() != 12) {
    return false;
  }
  for (char c : parts[4]) {
    if (c < '0' || c > '9') return false;
  }
  return StartsWith(parts[5], "role/") && parts[5].back() != '/';
}

bool IsSessionName(const std::string& s) {
  if (s.size() < 2 || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("_+=,.@-").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<Response> Service::Sts(Call& call) {
  const std::string& id = call.request_id;
  if (sts_ == nullptr) return StsError(400, "InvalidAction", "STS is not enabled", id);
  Result<std::map<std::string, std::string>> params = Params(call.req);
  if (!params.ok()) return StsError(400, "MalformedQueryString", params.status().message(), id);
  std::string action = Get(*params, "Action");
  sts_->Count(action.empty() ? "(none)" : action);
  if (action != "AssumeRole" && action != "AssumeRoleWithWebIdentity" &&
      action != "GetCallerIdentity") {
    return StsError(
        400, "InvalidAction",
        "Could not find operation " + action + " for version " + Get(*params, "Version"), id);
  }
  if (Get(*params, "Version") != "2011-06-15") {
    return StsError(
        400, "InvalidAction",
        "Could not find operation " + action + " for version " + Get(*params, "Version"), id);
  }
  // Who calls: AssumeRoleWithWebIdentity is unsigned (the token is the proof), the others are
  // signed over the form body.
  std::optional<StsSession> caller;
  std::string caller_key;
  if (action != "AssumeRoleWithWebIdentity") {
    Result<AuthResult> auth =
        auth_.Verify(call.req, call.req.method == "GET" ? nullptr : &call.req.body);
    if (!auth.ok()) {
      spdlog::info("{} sts {}: refused ({})", id, action, ToS3Error(auth.status()).code);
      return AuthError(auth.status(), id);
    }
    call.auth = *auth;
    caller_key = auth->access_key;
    caller = sts_->Find(caller_key);
  }

  XmlWriter x;
  if (action == "GetCallerIdentity") {
    x.Open("GetCallerIdentityResponse");
    x.Open("GetCallerIdentityResult");
    if (caller) {
      x.Element("Arn", caller->assumed_role_arn);
      x.Element("UserId", caller->assumed_role_id);
      x.Element("Account", caller->account_id);
    } else {
      x.Element("Arn", "arn:aws:iam::" + sts_->account_id() + ":user/thaw-sim");
      x.Element("UserId", caller_key.empty() ? "anonymous" : caller_key);
      x.Element("Account", sts_->account_id());
    }
    x.Close("GetCallerIdentityResult");
  } else {
    std::string role_arn = Get(*params, "RoleArn");
    std::string session_name = Get(*params, "RoleSessionName");
    std::string duration_text = Get(*params, "DurationSeconds");
    if (role_arn.size() < 20) {
      return ValidationError(ConstraintError(role_arn, "roleArn",
                                             "Member must have length greater than or equal to 20"),
                             id);
    }
    if (!IsRoleArn(role_arn)) {
      return ValidationError(role_arn + " is invalid: a role ARN is arn:aws:iam::ACCOUNT:role/NAME",
                             id);
    }
    if (session_name.empty()) {
      return ValidationError(ConstraintError("", "roleSessionName", "Member must not be null"), id);
    }
    if (!IsSessionName(session_name)) {
      return ValidationError(
          ConstraintError(session_name, "roleSessionName",
                          "Member must have length from 2 to 64 and satisfy regular expression "
                          "pattern: [\\w+=,.@-]*"),
          id);
    }
    int duration = kDefaultDuration;
    if (!duration_text.empty()) {
      std::optional<int64_t> d = ParseInt64(duration_text);
      if (!d) return ValidationError("DurationSeconds must be a number", id);
      if (*d < kMinDuration) {
        return ValidationError(ConstraintError(duration_text, "durationSeconds",
                                               "Member must have value greater than or equal to "
                                               "900"),
                               id);
      }
      if (*d > kMaxDuration) {
        return ValidationError(ConstraintError(duration_text, "durationSeconds",
                                               "Member must have value less than or equal to "
                                               "43200"),
                               id);
      }
      duration = static_cast<int>(*d);
    }
    if (caller && duration > kChainedMaxDuration) {
      return ValidationError(
          "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
          "role chaining.",
          id);
    }
    if (action == "AssumeRoleWithWebIdentity" && Get(*params, "WebIdentityToken").size() < 4) {
      return ValidationError(ConstraintError(Get(*params, "WebIdentityToken"), "webIdentityToken",
                                             "Member must have length greater than or equal to 4"),
                             id);
    }
    StsSession s = sts_->Issue(role_arn, session_name, std::chrono::seconds(duration));
    // The expiry is kept on the sim clock; the client gets the wall-clock time at which the sim
    // clock reaches it (whole seconds, rounded down: a client refreshes a little early rather
    // than late), so that its refresh works at any --time-scale.
    Clock::TimePoint wall = clock_.ToBase(s.expiration);
    spdlog::info("{} sts {}: {} as {} for {} s (expires at sim time {})", id, action,
                 caller_key.empty() ? "web identity" : caller_key, s.assumed_role_arn, duration,
                 FormatIso8601(s.expiration, false));
    std::string result = action + "Result";
    x.Open(action + "Response");
    x.Open(result);
    if (action == "AssumeRoleWithWebIdentity") {
      x.Element("SubjectFromWebIdentityToken", "thaw-sim-subject");
      x.Element("Audience", "sts.amazonaws.com");
      x.Element("Provider", "thaw-sim");
    }
    x.Open("AssumedRoleUser");
    x.Element("AssumedRoleId", s.assumed_role_id);
    x.Element("Arn", s.assumed_role_arn);
    x.Close("AssumedRoleUser");
    x.Open("Credentials");
    x.Element("AccessKeyId", s.access_key);
    x.Element("SecretAccessKey", s.secret_key);
    x.Element("SessionToken", s.session_token);
    x.Element("Expiration", FormatIso8601(wall, /*with_millis=*/false));
    x.Close("Credentials");
    x.Close(result);
  }
  x.Open("ResponseMetadata");
  x.Element("RequestId", id);
  x.Close("ResponseMetadata");
  x.Close(action + "Response");
  Response r;
  r.headers.Set("Content-Type", "text/xml");
  std::string body = x.Finish();
  // XmlWriter's root carries no namespace unless asked for S3's; STS has its own.
  size_t root = body.find("<" + action + "Response");
  if (root != std::string::npos) {
    size_t close = root + 1 + action.size() + 8;
    body.insert(close, std::string(" xmlns=\"") + kStsNamespace + "\"");
  }
  r.body = std::move(body);
  return r;
}

}  // namespace thaw::sim
