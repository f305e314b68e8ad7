// Cross-checks the S3 dialect of the SigV4 signer against botocore, the AWS SDK for Python.
//
// Each case is an S3 request with an awkward key, query or headers. tests/s3/botocore_sign.py
// builds the URL the way botocore does and signs it with S3SigV4Auth (Authorization header) and
// S3SigV4QueryAuth (presigned URL) at a pinned time; this test builds the same URL with UriEncode,
// signs it with SignRequest/PresignUrl and expects the same URL, canonical request, string to
// sign, headers and signature. botocore runs once for all cases (python3 must be on PATH).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/sigv4.h"
#include "support/test_env.h"

namespace thaw::s3 {
namespace {

namespace fs = std::filesystem;
using Headers = std::vector<std::pair<std::string, std::string>>;
using Query = std::vector<std::pair<std::string, std::optional<std::string>>>;

constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecretKey[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kToken[] = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+ab/cd==";

struct BotoCase {
  std::string name{};
  std::string method = "GET";
  std::string endpoint = "https://examplebucket.s3.us-east-1.amazonaws.com";
  std::string path{};  // unencoded, after the first '/'
  Query query{};       // unencoded; nullopt writes the bare name ("?restore")
  Headers headers{};
  std::string body{};
  std::string token{};
  std::string region = "us-east-1";
  std::string timestamp = "2024-02-29T23:59:59Z";
  bool unsigned_payload = false;
  bool pass_payload_hash = false;  // give SignRequest the hash instead of letting it hash
  int presign_expires = 0;         // 0: no presigned URL
};

std::vector<BotoCase> Cases() {
  std::vector<BotoCase> cases;
  auto add = [&](BotoCase c) { cases.push_back(std::move(c)); };
  add({.name = "UnicodeKeyUnsignedPayload",
       .path = "dir/\xc3\xbcn\xc3\xaf"
               "c\xc3\xb8"
               "d\xc3\xa9 \xe6\x96\x87\xe4\xbb\xb6.txt",
       .unsigned_payload = true,
       .presign_expires = 3600});
  add({.name = "ReservedCharsKeyWithToken",
       .path = "a b+c=d~e%f",
       .token = kToken,
       .presign_expires = 900});
  add({.name = "PunctuationKey",
       .path = "x/!'()*,;:@&$[]{}^`|\\\"<>#?/ end/",
       .pass_payload_hash = true});
  add({.name = "RestoreObjectPost",
       .method = "POST",
       .path = "photos/2024/IMG 0001.jpg",
       .query = {{"restore", std::nullopt}},
       .headers = {{"Content-Type", "application/xml"},
                   {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}},
       .body = "<RestoreRequest><Days>2</Days><GlacierJobParameters><Tier>Bulk</Tier>"
               "</GlacierJobParameters></RestoreRequest>",
       .token = kToken});
  add({.name = "ListObjectsV2PathStyle",
       .endpoint = "https://s3.eu-west-1.amazonaws.com",
       .path = "examplebucket",
       .query = {{"list-type", "2"},
                 {"prefix", "a b/c+d"},
                 {"continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="},
                 {"delimiter", "/"},
                 {"encoding-type", "url"}},
       .region = "eu-west-1",
       .unsigned_payload = true,
       .presign_expires = 60});
  add({.name = "GetVersionRangeWithToken",
       .path = "logs/2024-02-29.gz",
       .query = {{"versionId", "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"}},
       .headers = {{"Range", "bytes=0-1048575"}},
       .token = kToken,
       .timestamp = "2015-08-30T12:36:00Z",
       .presign_expires = 604800});
  add({.name = "PutWithBodyAndMetadata",
       .method = "PUT",
       .path = "uploads/r\xc3\xa9sum\xc3\xa9 (final).txt",
       .headers = {{"Content-Type", "text/plain; charset=utf-8"},
                   {"Content-Length", "27"},
                   {"x-amz-storage-class", "DEEP_ARCHIVE"},
                   {"X-Amz-Meta-Note", "  two   spaces\tand tab  "},
                   {"x-amz-meta-dup", "first"},
                   {"X-Amz-Meta-Dup", "second"}},
       .body = "hello, S3 \xe2\x80\x94 from thaw\n",
       .token = kToken,
       .presign_expires = 300});
  add({.name = "PutUnsignedPayload",
       .method = "PUT",
       .path = "big/part 1.bin",
       .query = {{"partNumber", "7"},
                 {"uploadId", "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"}},
       .body = std::string(4096, 'x'),
       .unsigned_payload = true});
  add({.name = "IgnoredHeaders",
       .method = "PUT",
       .path = "k",
       .headers = {{"User-Agent", "thaw/0.1"},
                   {"Expect", "100-continue"},
                   {"X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"},
                   {"Connection", "keep-alive"},
                   {"Transfer-Encoding", "chunked"},
                   {"Content-Type", "application/octet-stream"}},
       .body = "abc"});
  add({.name = "CustomEndpointPort",
       .method = "HEAD",
       .endpoint = "http://localhost:9000",
       .path = "bucket/\xe6\x97\xa5\xe6\x9c\xac/~tilde",
       .presign_expires = 120});
  add({.name = "DefaultPortDropped",
       .method = "DELETE",
       .endpoint = "https://examplebucket.s3.us-west-2.amazonaws.com:443",
       .path = "k",
       .query = {{"uploadId", "abc~def"}},
       .region = "us-west-2"});
  add({.name = "BucketRootSubresource",
       .endpoint = "https://examplebucket.s3.amazonaws.com",
       .path = "",
       .query = {{"tagging", std::nullopt}},
       .presign_expires = 30});
  add({.name = "ResponseOverridesPresigned",
       .path = "reports/q1 2024.pdf",
       .query = {{"response-content-disposition", "attachment; filename=\"q1 2024.pdf\""},
                 {"response-content-type", "application/pdf"}},
       .token = kToken,
       .presign_expires = 3600});
  return cases;
}

std::string BuildUrl(const BotoCase& c) {
  std::string url = c.endpoint + "/" + UriEncode(c.path, /*keep_slash=*/true);
  std::string query;
  for (const auto& [name, value] : c.query) {
    if (!query.empty()) query += '&';
    query += UriEncode(name);
    if (value) query += "=" + UriEncode(*value);
  }
  if (!query.empty()) url += "?" + query;
  return url;
}

nlohmann::json ToJson(const BotoCase& c) {
  nlohmann::json query = nlohmann::json::array();
  for (const auto& [name, value] : c.query) {
    query.push_back({name, value ? nlohmann::json(*value) : nlohmann::json(nullptr)});
  }
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [name, value] : c.headers) headers.push_back({name, value});
  std::string amz_date = FormatAmzDate(ParseIso8601(c.timestamp).value());
  nlohmann::json j = {
      {"method", c.method},       {"endpoint", c.endpoint},
      {"path", c.path},           {"query", query},
      {"headers", headers},       {"body", c.body},
      {"access_key", kAccessKey}, {"secret_key", kSecretKey},
      {"token", c.token},         {"region", c.region},
      {"timestamp", amz_date},    {"payload", c.unsigned_payload ? "unsigned" : "sha256"}};
  if (c.presign_expires > 0) j["presign_expires"] = c.presign_expires;
  return j;
}

// Runs botocore_sign.py once over all cases; a failure leaves the error for every test to show.
class BotocoreReference {
 public:
  static const BotocoreReference& Get() {
    static const BotocoreReference* reference = new BotocoreReference();
    return *reference;
  }
  const std::string& error() const { return error_; }
  const nlohmann::json& result(size_t i) const { return results_.at(i); }

 private:
  BotocoreReference() {
    nlohmann::json input = nlohmann::json::array();
    for (const BotoCase& c : Cases()) input.push_back(ToJson(c));
    testing::TempDir tmp;
    std::string input_path = tmp.WriteFile("cases.json", input.dump());
    std::string command = "python3 '" + ScriptPath() + "' < '" + input_path + "'";
    std::string output;
    int rc = testing::RunCommand(command, &output);
    if (rc != 0) {
      error_ = "`" + command + "` exited with " + std::to_string(rc) + " (see stderr)";
      return;
    }
    results_ = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
    if (!results_.is_array() || results_.size() != input.size()) {
      error_ = "botocore_sign.py printed no result list of the right size: " + output;
    }
  }

  static std::string ScriptPath() { return testing::SourceDir() + "/tests/s3/botocore_sign.py"; }

  std::string error_;
  nlohmann::json results_;
};

std::string HeaderValue(const nlohmann::json& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (EqualsIgnoreCase(h[0].get<std::string>(), name)) return h[1].get<std::string>();
  }
  return "";
}

// A URL as (everything before '?', decoded query pairs in order), so that "?restore" and
// botocore's re-encoded "?restore=" compare equal while order and values still count.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> SplitForCompare(
    std::string_view url) {
  size_t q = url.find('?');
  std::vector<std::pair<std::string, std::string>> params;
  if (q != std::string_view::npos) {
    for (const std::string& piece : Split(url.substr(q + 1), '&')) {
      size_t eq = piece.find('=');
      std::string name = piece.substr(0, eq);
      std::string value = eq == std::string::npos ? "" : piece.substr(eq + 1);
      params.emplace_back(UriDecode(name).value_or("<bad escape>" + name),
                          UriDecode(value).value_or("<bad escape>" + value));
    }
  }
  return {std::string(url.substr(0, q)), params};
}

class BotocoreTest : public ::testing::TestWithParam<size_t> {
 protected:
  void SetUp() override {
    const BotocoreReference& reference = BotocoreReference::Get();
    ASSERT_EQ(reference.error(), "");
    case_ = Cases().at(GetParam());
    boto_ = reference.result(GetParam());
    creds_.access_key_id = kAccessKey;
    creds_.secret_access_key = kSecretKey;
    creds_.session_token = case_.token;
    params_.region = case_.region;
    params_.time = ParseIso8601(case_.timestamp).value();
    params_.s3_dialect = true;
    if (case_.unsigned_payload) {
      params_.payload_hash = std::string(kUnsignedPayload);
    } else if (case_.pass_payload_hash) {
      params_.payload_hash = Sha256Hex(case_.body);
    }
  }

  HttpRequest MakeRequest() const {
    HttpRequest req;
    req.method = case_.method;
    req.url = BuildUrl(case_);
    for (const auto& [name, value] : case_.headers) req.headers.Add(name, value);
    req.body = HttpBody::FromString(case_.body);
    return req;
  }

  BotoCase case_;
  nlohmann::json boto_;
  Credentials creds_;
  SigningParams params_;
};

TEST_P(BotocoreTest, SameUrlAsBotocore) {
  EXPECT_EQ(BuildUrl(case_), boto_["url"]);
}

TEST_P(BotocoreTest, SameAuthorizationHeader) {
  HttpRequest req = MakeRequest();
  SignatureParts parts;
  Status status = SignRequest(req, creds_, params_, &parts);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(parts.canonical_request, boto_["canonical_request"]);
  EXPECT_EQ(parts.string_to_sign, boto_["string_to_sign"]);
  EXPECT_EQ(req.headers.Get("Authorization"), boto_["authorization"]);
  for (const char* name : {"X-Amz-Date", "X-Amz-Content-SHA256", "X-Amz-Security-Token"}) {
    EXPECT_EQ(req.headers.Get(name), HeaderValue(boto_["headers"], name)) << name;
  }
}

TEST_P(BotocoreTest, SamePresignedUrl) {
  if (case_.presign_expires == 0) {
    // Not a presign case: botocore printed no URL, and neither should exist.
    EXPECT_FALSE(boto_.contains("presigned_url"));
    return;
  }
  ASSERT_TRUE(boto_.contains("presigned_url"));
  SignatureParts parts;
  Result<std::string> url = PresignUrl(MakeRequest(), creds_, params_,
                                       std::chrono::seconds(case_.presign_expires), &parts);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(parts.canonical_request, boto_["presign_canonical_request"]);
  EXPECT_EQ(parts.string_to_sign, boto_["presign_string_to_sign"]);
  EXPECT_EQ(SplitForCompare(*url), SplitForCompare(boto_["presigned_url"].get<std::string>()));
}

std::vector<size_t> CaseIndexes() {
  std::vector<size_t> indexes(Cases().size());
  for (size_t i = 0; i < indexes.size(); ++i) indexes[i] = i;
  return indexes;
}

INSTANTIATE_TEST_SUITE_P(S3, BotocoreTest, ::testing::ValuesIn(CaseIndexes()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return Cases().at(info.param).name;
                         });

TEST(Botocore, CasesCoverPresignAndHeaderSigning) {
  size_t presigned = 0;
  for (const BotoCase& c : Cases()) presigned += c.presign_expires > 0 ? 1 : 0;
  EXPECT_GE(presigned, 6u);
  EXPECT_GE(Cases().size(), 12u);
}

}  // namespace
}  // namespace thaw::s3
