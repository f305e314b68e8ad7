// Tests of the SigV4 signer (src/s3/sigv4.cc): every case of AWS's SigV4 test suite, header and
// query (presigned) variants, in the generic dialect; then unit tests of the building blocks and
// of the S3 dialect. The cross-check against botocore lives in sigv4_botocore_test.cc.
#include "s3/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "common/strings.h"
#include "common/time_format.h"
#include "support/test_env.h"

namespace thaw::s3 {
namespace {

namespace fs = std::filesystem;
using Headers = std::vector<std::pair<std::string, std::string>>;

// ctest sets THAW_SIGV4_SUITE; a binary started by hand (or by gtest discovery) falls back to
// the source tree's sibling `shared/` (an absolute path compiled in; not __FILE__, which is
// relative when ccache rewrites paths).
std::string SuiteDir() { return testing::SigV4SuiteDir(); }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// ---------------------------------------------------------------------------------------------
// AWS's suite: each directory holds request.txt, context.json and the expected results.

// A raw HTTP/1.1 request as the suite writes it: the target may hold spaces, a header line that
// starts with whitespace continues the previous value, and the body follows an empty line.
struct RawRequest {
  std::string method;
  std::string target;
  std::string version;
  Headers headers;
  std::string body;
};

std::optional<RawRequest> ParseRawRequest(std::string_view text) {
  RawRequest req;
  bool first = true;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (EndsWith(line, "\r")) line.remove_suffix(1);
    if (first) {
      size_t sp1 = line.find(' ');
      size_t sp2 = line.rfind(' ');
      if (sp1 == std::string_view::npos || sp1 == sp2) return std::nullopt;
      req.method = line.substr(0, sp1);
      req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      req.version = line.substr(sp2 + 1);
      first = false;
    } else if (line.empty()) {
      req.body = text;
      break;
    } else if (line.front() == ' ' || line.front() == '\t') {
      if (req.headers.empty()) return std::nullopt;
      req.headers.back().second.append("\n").append(line);
    } else {
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
  }
  if (first) return std::nullopt;
  return req;
}

struct SuiteContext {
  Credentials creds;
  SigningParams params;
  bool omit_session_token = false;
  std::chrono::seconds expires{0};
};

SuiteContext ReadContext(const fs::path& path) {
  nlohmann::json j = nlohmann::json::parse(ReadFile(path));
  SuiteContext ctx;
  ctx.creds.access_key_id = j["credentials"]["access_key_id"];
  ctx.creds.secret_access_key = j["credentials"]["secret_access_key"];
  ctx.creds.session_token = j["credentials"].value("token", "");
  ctx.params.region = j["region"];
  ctx.params.service = j["service"];
  std::optional<TimePoint> time = ParseIso8601(j["timestamp"].get<std::string>());
  EXPECT_TRUE(time.has_value());
  ctx.params.time = time.value_or(TimePoint());
  ctx.params.s3_dialect = false;
  ctx.params.normalize_path = j.value("normalize", true);
  // The suite's sign_body means "send x-amz-content-sha256"; the body is hashed either way.
  ctx.params.add_content_sha256_header = j.value("sign_body", false);
  ctx.omit_session_token = j.value("omit_session_token", false);
  ctx.expires = std::chrono::seconds(j["expiration_in_seconds"].get<int64_t>());
  return ctx;
}

HttpRequest ToHttpRequest(const RawRequest& raw) {
  HttpRequest req;
  req.method = raw.method;
  std::string host;
  for (const auto& [name, value] : raw.headers) {
    if (EqualsIgnoreCase(name, "host")) host = Trim(value);
    req.headers.Add(name, value);
  }
  req.url = "https://" + host + raw.target;
  req.body = HttpBody::FromString(raw.body);
  return req;
}

// Header order carries no meaning except among headers of one name, so compare names sorted
// stably.
Headers SortedByName(Headers headers) {
  std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) {
    return ToLower(a.first) < ToLower(b.first);
  });
  return headers;
}

// Query parameters as written, sorted: the suite orders X-Amz-* differently from botocore.
std::vector<std::string> SortedQueryPieces(std::string_view query) {
  std::vector<std::string> pieces = Split(query, '&');
  std::sort(pieces.begin(), pieces.end());
  return pieces;
}

std::vector<std::string> ListSuiteCases() {
  std::vector<std::string> cases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(SuiteDir(), ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "request.txt")) {
      cases.push_back(entry.path().filename().string());
    }
  }
  std::sort(cases.begin(), cases.end());
  // A missing suite must fail, not vanish into zero tests.
  if (cases.empty()) cases.push_back("suite-directory-missing");
  return cases;
}

class SigV4SuiteTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::path(SuiteDir()) / GetParam();
    ASSERT_TRUE(fs::exists(dir_ / "request.txt")) << "no SigV4 suite case at " << dir_;
    std::optional<RawRequest> raw = ParseRawRequest(ReadFile(dir_ / "request.txt"));
    ASSERT_TRUE(raw.has_value());
    raw_ = *raw;
    ctx_ = ReadContext(dir_ / "context.json");
    if (ctx_.omit_session_token) {
      token_added_after_signing_ = ctx_.creds.session_token;
      ctx_.creds.session_token.clear();
    }
  }

  std::string Expected(const std::string& name) const {
    EXPECT_TRUE(fs::exists(dir_ / name)) << dir_ / name;
    return ReadFile(dir_ / name);
  }

  fs::path dir_;
  RawRequest raw_;
  SuiteContext ctx_;
  // omit_session_token: the token is sent but not signed (added after signing).
  std::string token_added_after_signing_;
};

TEST_P(SigV4SuiteTest, HeaderSigning) {
  HttpRequest req = ToHttpRequest(raw_);
  SignatureParts parts;
  ASSERT_TRUE(SignRequest(req, ctx_.creds, ctx_.params, &parts).ok());
  EXPECT_EQ(parts.canonical_request, Expected("header-canonical-request.txt"));
  EXPECT_EQ(parts.string_to_sign, Expected("header-string-to-sign.txt"));
  EXPECT_EQ(parts.signature, Expected("header-signature.txt"));

  if (!token_added_after_signing_.empty()) {
    req.headers.Add("X-Amz-Security-Token", token_added_after_signing_);
  }
  std::optional<RawRequest> expected = ParseRawRequest(Expected("header-signed-request.txt"));
  ASSERT_TRUE(expected.has_value());
  EXPECT_EQ(raw_.method, expected->method);
  EXPECT_EQ(raw_.target, expected->target);
  EXPECT_EQ(SortedByName(req.headers.entries()), SortedByName(expected->headers));
  EXPECT_EQ(req.body.data, expected->body);
}

TEST_P(SigV4SuiteTest, QuerySigning) {
  HttpRequest req = ToHttpRequest(raw_);
  SignatureParts parts;
  Result<std::string> url = PresignUrl(req, ctx_.creds, ctx_.params, ctx_.expires, &parts);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(parts.canonical_request, Expected("query-canonical-request.txt"));
  EXPECT_EQ(parts.string_to_sign, Expected("query-string-to-sign.txt"));
  EXPECT_EQ(parts.signature, Expected("query-signature.txt"));

  std::string target = url->substr(url->find('/', std::string("https://").size()));
  if (!token_added_after_signing_.empty()) {
    target += "&X-Amz-Security-Token=" + UriEncode(token_added_after_signing_);
  }
  std::optional<RawRequest> expected = ParseRawRequest(Expected("query-signed-request.txt"));
  ASSERT_TRUE(expected.has_value());
  size_t q = target.find('?');
  size_t expected_q = expected->target.find('?');
  ASSERT_NE(q, std::string::npos);
  ASSERT_NE(expected_q, std::string::npos);
  EXPECT_EQ(target.substr(0, q), expected->target.substr(0, expected_q));
  EXPECT_EQ(SortedQueryPieces(target.substr(q + 1)),
            SortedQueryPieces(expected->target.substr(expected_q + 1)));
  // A presigned URL leaves the request's headers alone.
  EXPECT_EQ(SortedByName(req.headers.entries()), SortedByName(expected->headers));
  EXPECT_EQ(req.body.data, expected->body);
}

std::string CaseTestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Aws, SigV4SuiteTest, ::testing::ValuesIn(ListSuiteCases()), CaseTestName);

TEST(SigV4Suite, DirectoryHoldsTheWholeSuite) {
  std::vector<std::string> cases = ListSuiteCases();
  EXPECT_GE(cases.size(), 38u) << "SigV4 suite at " << SuiteDir() << " is missing or incomplete";
  for (const char* name : {"get-vanilla", "get-header-value-multiline", "get-space-normalized",
                           "get-relative-relative-unnormalized", "post-sts-header-after",
                           "post-x-www-form-urlencoded-parameters"}) {
    EXPECT_NE(std::find(cases.begin(), cases.end(), name), cases.end()) << name;
  }
}

TEST(SigV4Suite, RawRequestParserKeepsFoldedValuesAndBody) {
  std::optional<RawRequest> req =
      ParseRawRequest("POST /a b/ HTTP/1.1\nHost:h\nX:v1\n  v2\n\nbody\nmore");
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->target, "/a b/");
  EXPECT_EQ(req->version, "HTTP/1.1");
  EXPECT_EQ(req->headers, (Headers{{"Host", "h"}, {"X", "v1\n  v2"}}));
  EXPECT_EQ(req->body, "body\nmore");
}

// ---------------------------------------------------------------------------------------------
// Building blocks.

TimePoint At(std::string_view iso) {
  return ParseIso8601(iso).value();
}

Credentials TestCreds(std::string token = "") {
  Credentials creds;
  creds.access_key_id = "AKIDEXAMPLE";
  creds.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  creds.session_token = std::move(token);
  return creds;
}

// The credentials of AWS's S3 documentation examples.
Credentials DocCreds() {
  Credentials creds;
  creds.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  creds.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  return creds;
}

SigningParams S3Params() {
  SigningParams params;
  params.region = "us-east-1";
  params.time = At("2013-05-24T00:00:00Z");
  return params;
}

TEST(Sha256Hex, EmptyInputIsTheEmptyPayloadHash) {
  EXPECT_EQ(Sha256Hex(""), kEmptyPayloadSha256);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HmacSha256, MatchesRfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexEncode(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(DeriveSigningKey, MatchesAwsDocumentationExample) {
  // From AWS's "Examples of how to derive a signing key for Signature Version 4".
  EXPECT_EQ(HexEncode(DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                       "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(CanonicalRequest, TrimsHeaderValuesAndCollapsesInnerWhitespace) {
  HttpHeaders headers;
  headers.Add("Host", "example.com");
  headers.Add("My-Header", "  a   b \t c  ");
  headers.Add("Folded", "one\r\n   two");
  std::string cr = CanonicalRequest("GET", "https://example.com/", headers,
                                    {"my-header", "host", "folded"}, kEmptyPayloadSha256, true);
  EXPECT_EQ(cr,
            "GET\n/\n\nfolded:one two\nhost:example.com\nmy-header:a b c\n\n"
            "folded;host;my-header\n" +
                std::string(kEmptyPayloadSha256));
}

TEST(CanonicalRequest, JoinsRepeatedHeadersInOrderAndDedupsSignedNames) {
  HttpHeaders headers;
  headers.Add("X-B", "2");
  headers.Add("x-b", " 1 ");
  headers.Add("Host", "h");
  std::string cr = CanonicalRequest("GET", "https://h/", headers, {"X-B", "host", "x-b"},
                                    kUnsignedPayload, true);
  EXPECT_EQ(cr, "GET\n/\n\nhost:h\nx-b:2,1\n\nhost;x-b\nUNSIGNED-PAYLOAD");
}

std::string QueryLine(std::string_view url) {
  std::string cr = CanonicalRequest("GET", url, HttpHeaders(), {}, kUnsignedPayload, true);
  return Split(cr, '\n')[2];
}

TEST(CanonicalRequest, SortsQueryByEncodedNameThenValue) {
  EXPECT_EQ(QueryLine("https://h/?b=2&a=2&a=1&B=0"), "B=0&a=1&a=2&b=2");
  // '%' (0x25) sorts before letters, so an encoded name comes first, as in the suite.
  EXPECT_EQ(QueryLine("https://h/?Param=1&%E1%88%B4=2"), "%E1%88%B4=2&Param=1");
  // Sorting happens on the encoded form: "a%20" < "a-" since '%' < '-'.
  EXPECT_EQ(QueryLine("https://h/?a-=1&a%20=2"), "a%20=2&a-=1");
}

TEST(CanonicalRequest, ReencodesQueryComponentsOnce) {
  EXPECT_EQ(QueryLine("https://h/?restore"), "restore=");
  EXPECT_EQ(QueryLine("https://h/?uploads&partNumber=1&&"), "partNumber=1&uploads=");
  EXPECT_EQ(QueryLine("https://h/?prefix=a%20b&x=a/b"), "prefix=a%20b&x=a%2Fb");
  EXPECT_EQ(QueryLine("https://h/?v=%7e%2b+"), "v=~%2B%2B");
  EXPECT_EQ(QueryLine("https://h/?k=caf\xc3\xa9"), "k=caf%C3%A9");
  EXPECT_EQ(QueryLine("https://h/"), "");
}

std::string UriLine(std::string_view url, bool s3_dialect) {
  std::string cr = CanonicalRequest("GET", url, HttpHeaders(), {}, kUnsignedPayload, s3_dialect);
  return Split(cr, '\n')[1];
}

TEST(CanonicalRequest, S3DialectSignsThePathAsSent) {
  EXPECT_EQ(UriLine("https://b.s3.amazonaws.com/a%20b/c%2Bd", true), "/a%20b/c%2Bd");
  EXPECT_EQ(UriLine("https://b.s3.amazonaws.com/a/../b//c/./", true), "/a/../b//c/./");
  EXPECT_EQ(UriLine("https://b.s3.amazonaws.com", true), "/");
  EXPECT_EQ(UriLine("https://b.s3.amazonaws.com?list-type=2", true), "/");
}

TEST(CanonicalRequest, GenericDialectNormalizesAndEncodesAgain) {
  EXPECT_EQ(UriLine("https://h/a%20b/c", false), "/a%2520b/c");
  EXPECT_EQ(UriLine("https://h/a b/c\xe1\x88\xb4", false), "/a%20b/c%E1%88%B4");
  EXPECT_EQ(UriLine("https://h//a/./b/../c//", false), "/a/c/");
  EXPECT_EQ(UriLine("https://h/a/..", false), "/");
  EXPECT_EQ(UriLine("https://h/../..", false), "/");
}

TEST(CanonicalRequest, AcceptsABareRequestTarget) {
  HttpHeaders headers;
  headers.Add("host", "h");
  EXPECT_EQ(
      CanonicalRequest("PUT", "/k%20y?tagging", headers, {"host"}, kUnsignedPayload, true),
      CanonicalRequest("PUT", "http://h/k%20y?tagging", headers, {"host"}, kUnsignedPayload, true));
}

// AWS's S3 documentation example "GET Object" (sig4-header-based-auth).
TEST(SignRequest, MatchesS3DocumentationGetObjectExample) {
  HttpRequest req;
  req.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  req.headers.Add("Range", "bytes=0-9");
  SigningParams params = S3Params();
  params.payload_hash = std::string(kEmptyPayloadSha256);
  ASSERT_TRUE(SignRequest(req, DocCreds(), params).ok());
  EXPECT_EQ(req.headers.Get("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(req.headers.Get("Host"), "examplebucket.s3.amazonaws.com");
  EXPECT_EQ(req.headers.Get("X-Amz-Date"), "20130524T000000Z");
  EXPECT_EQ(req.headers.Get("x-amz-content-sha256"), kEmptyPayloadSha256);
}

// AWS's S3 documentation example of a presigned URL (sigv4-query-string-auth).
TEST(PresignUrl, MatchesS3DocumentationExample) {
  HttpRequest req;
  req.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  SignatureParts parts;
  Result<std::string> url = PresignUrl(req, DocCreds(), S3Params(), std::chrono::hours(24), &parts);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(parts.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(*url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_TRUE(EndsWith(parts.canonical_request, "\nUNSIGNED-PAYLOAD"));
}

TEST(SignRequest, S3DialectDoesNotEncodeTheKeyTwice) {
  HttpRequest req;
  req.url = "https://b.s3.us-east-1.amazonaws.com/" + UriEncode("dir/a b+c%.txt", true);
  SignatureParts parts;
  ASSERT_TRUE(SignRequest(req, TestCreds(), S3Params(), &parts).ok());
  EXPECT_EQ(Split(parts.canonical_request, '\n')[1], "/dir/a%20b%2Bc%25.txt");
}

TEST(SignRequest, HostComesFromTheUrlWithoutDefaultPort) {
  const std::pair<const char*, const char*> cases[] = {
      {"https://B.Example.com:443/k", "b.example.com"},
      {"http://b.example.com:80/k", "b.example.com"},
      {"http://localhost:9000/k", "localhost:9000"},
      {"https://user:pw@h.example.com:8443/", "h.example.com:8443"},
      {"http://[::1]:9000/k", "[::1]:9000"},
      {"http://[::1]/k", "[::1]"},
  };
  for (const auto& [url, host] : cases) {
    HttpRequest req;
    req.url = url;
    ASSERT_TRUE(SignRequest(req, TestCreds(), S3Params()).ok()) << url;
    EXPECT_EQ(req.headers.Get("host"), host) << url;
  }
}

TEST(SignRequest, SkipsHeadersProxiesMayChangeAndReplacesOldSignature) {
  HttpRequest req;
  req.url = "https://h/k";
  for (const char* name : {"User-Agent", "Expect", "X-Amzn-Trace-Id", "Transfer-Encoding",
                           "Connection", "Authorization"}) {
    req.headers.Add(name, "x");
  }
  req.headers.Add("Content-Type", "text/plain");
  req.headers.Add("X-Amz-Date", "19990101T000000Z");
  SignatureParts parts;
  ASSERT_TRUE(SignRequest(req, TestCreds(), S3Params(), &parts).ok());
  EXPECT_EQ(parts.signed_headers, "content-type;host;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(req.headers.Get("X-Amz-Date"), "20130524T000000Z");
  EXPECT_TRUE(StartsWith(req.headers.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="));
  EXPECT_EQ(req.headers.Get("User-Agent"), "x");

  // Signing again (a retry) gives one Authorization and the same signature.
  std::string first = req.headers.Get("Authorization");
  ASSERT_TRUE(SignRequest(req, TestCreds(), S3Params()).ok());
  EXPECT_EQ(req.headers.Get("Authorization"), first);
  EXPECT_EQ(std::count_if(req.headers.entries().begin(), req.headers.entries().end(),
                          [](const auto& e) { return EqualsIgnoreCase(e.first, "authorization"); }),
            1);
}

TEST(SignRequest, SessionTokenIsSentAndSigned) {
  HttpRequest req;
  req.url = "https://h/k";
  SignatureParts parts;
  ASSERT_TRUE(SignRequest(req, TestCreds("tok/en+="), S3Params(), &parts).ok());
  EXPECT_EQ(req.headers.Get("X-Amz-Security-Token"), "tok/en+=");
  EXPECT_EQ(parts.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  // Re-signed with long-term keys, the stale token goes away.
  ASSERT_TRUE(SignRequest(req, TestCreds(), S3Params(), &parts).ok());
  EXPECT_FALSE(req.headers.Has("X-Amz-Security-Token"));
}

TEST(SignRequest, PayloadHashComesFromParamsOrBody) {
  HttpRequest req;
  req.method = "PUT";
  req.url = "https://h/k";
  req.body = HttpBody::FromString("abc");
  SignatureParts parts;
  ASSERT_TRUE(SignRequest(req, TestCreds(), S3Params(), &parts).ok());
  EXPECT_EQ(req.headers.Get("x-amz-content-sha256"), Sha256Hex("abc"));
  EXPECT_TRUE(EndsWith(parts.canonical_request, "\n" + Sha256Hex("abc")));

  SigningParams unsigned_params = S3Params();
  unsigned_params.payload_hash = std::string(kUnsignedPayload);
  ASSERT_TRUE(SignRequest(req, TestCreds(), unsigned_params, &parts).ok());
  EXPECT_EQ(req.headers.Get("x-amz-content-sha256"), kUnsignedPayload);
  EXPECT_TRUE(EndsWith(parts.canonical_request, "\nUNSIGNED-PAYLOAD"));

  SigningParams no_header = S3Params();
  no_header.add_content_sha256_header = false;
  HttpRequest plain;
  plain.url = "https://h/k";
  ASSERT_TRUE(SignRequest(plain, TestCreds(), no_header, &parts).ok());
  EXPECT_FALSE(plain.headers.Has("x-amz-content-sha256"));
  EXPECT_EQ(parts.signed_headers, "host;x-amz-date");
}

TEST(SignRequest, RejectsWhatItCannotSignWithoutLeakingSecrets) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  auto check = [&](const Status& s) {
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_EQ(s.message().find(secret), std::string::npos);
    EXPECT_EQ(s.message().find("AKIDEXAMPLE"), std::string::npos);
    EXPECT_EQ(s.message().find("SECRET-TOKEN"), std::string::npos);
  };
  HttpRequest req;
  req.url = "https://h/k?a=%zz&t=SECRET-TOKEN";
  check(SignRequest(req, TestCreds(), S3Params()));
  req.url = "https://h/100%/x";
  check(SignRequest(req, TestCreds(), S3Params()));
  req.url = "/relative?t=SECRET-TOKEN";
  check(SignRequest(req, TestCreds(), S3Params()));
  req.url = "https://h/k";
  Credentials no_secret = TestCreds();
  no_secret.secret_access_key.clear();
  check(SignRequest(req, no_secret, S3Params()));
  SigningParams no_region = S3Params();
  no_region.region.clear();
  check(SignRequest(req, TestCreds(), no_region));
  HttpRequest streamed;
  streamed.url = "https://h/k";
  streamed.body.reader = [](char*, size_t) -> int64_t { return 0; };
  check(SignRequest(streamed, TestCreds(), S3Params()));
  EXPECT_FALSE(streamed.headers.Has("Authorization"));
}

TEST(PresignUrl, KeepsTheQueryAsWrittenAndSignsTheToken) {
  HttpRequest req;
  req.url = "https://b.s3.amazonaws.com/a%20b?versionId=v%2B1&restore#frag";
  SignatureParts parts;
  Result<std::string> url =
      PresignUrl(req, TestCreds("tok/en"), S3Params(), std::chrono::seconds(900), &parts);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_TRUE(StartsWith(*url,
                         "https://b.s3.amazonaws.com/a%20b?versionId=v%2B1&restore&"
                         "X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
      << *url;
  EXPECT_NE(url->find("&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok%2Fen"
                      "&X-Amz-Signature=" +
                      parts.signature),
            std::string::npos)
      << *url;
  EXPECT_EQ(url->find('#'), std::string::npos);
  EXPECT_EQ(Split(parts.canonical_request, '\n')[2],
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20130524%2Fus-east-1"
            "%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=900&X-Amz-Security-"
            "Token=tok%2Fen&X-Amz-SignedHeaders=host&restore=&versionId=v%2B1");
}

TEST(PresignUrl, RejectsBadExpiryAndAlreadySignedUrls) {
  HttpRequest req;
  req.url = "https://h/k";
  EXPECT_TRUE(PresignUrl(req, TestCreds(), S3Params(), std::chrono::seconds(0))
                  .status()
                  .IsInvalidArgument());
  EXPECT_TRUE(PresignUrl(req, TestCreds(), S3Params(), std::chrono::seconds(604801))
                  .status()
                  .IsInvalidArgument());
  EXPECT_TRUE(PresignUrl(req, TestCreds(), S3Params(), std::chrono::seconds(604800)).ok());
  req.url = "https://h/k?X-Amz-Signature=abc";
  EXPECT_TRUE(PresignUrl(req, TestCreds(), S3Params(), std::chrono::seconds(60))
                  .status()
                  .IsInvalidArgument());
}

}  // namespace
}  // namespace thaw::s3
