// S3 Inventory input: manifest.json parsing, CSV rows (quoting, URL-encoded keys, optional
// fields), selectors, and whole reports read from a local copy and from S3 (the mock client),
// with the bad inputs refused: MD5 mismatch, truncated gzip, another bucket, ORC/Parquet.
#include "restore/inventory.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <sstream>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/mock_client.h"
#include "support/test_env.h"

namespace thaw::restore {
namespace {

using testing::TempDir;

std::string Gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Md5Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_md5(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<char*>(md), n));
}

constexpr const char* kSchema =
    "Bucket, Key, Size, LastModifiedDate, StorageClass, IntelligentTieringAccessTier";

std::string Manifest(const std::string& source,
                     const std::vector<std::pair<std::string, std::string>>& files,
                     const std::string& format = "CSV", const std::string& schema = kSchema) {
  std::string f;
  for (const auto& [key, gz] : files) {
    f += std::string(f.empty() ? "" : ",") + "{\"key\":\"" + key +
         "\",\"size\":" + std::to_string(gz.size()) + ",\"MD5checksum\":\"" + Md5Hex(gz) + "\"}";
  }
  return "{\"sourceBucket\":\"" + source +
         "\",\"destinationBucket\":\"arn:aws:s3:::dest\",\"version\":\"2016-11-30\","
         "\"creationTimestamp\":\"1700000000000\",\"fileFormat\":\"" +
         format + "\",\"fileSchema\":\"" + schema + "\",\"files\":[" + f + "]}";
}

// Rows as S3 writes them: every value quoted, keys URL-encoded.
const char* kRows1 =
    "\"src\",\"cold/a+b.dat\",\"100\",\"2020-01-01T00:00:00.000Z\",\"GLACIER\",\"\"\n"
    "\"src\",\"cold/deep%2Fx.h5\",\"5000\",\"2020-01-02T00:00:00.000Z\",\"DEEP_ARCHIVE\",\"\"\n"
    "\"src\",\"hot/c.txt\",\"7\",\"2026-01-01T00:00:00.000Z\",\"STANDARD\",\"\"\n";
const char* kRows2 =
    "\"src\",\"it/arch\",\"300\",\"2020-01-01T00:00:00.000Z\",\"INTELLIGENT_TIERING\","
    "\"ARCHIVE_ACCESS\"\n"
    "\"src\",\"it/freq\",\"400\",\"2020-01-01T00:00:00.000Z\",\"INTELLIGENT_TIERING\","
    "\"FREQUENT\"\n";

// A local copy of the destination prefix in AWS's layout.
struct LocalReport {
  TempDir dir;
  std::string manifest_path;
  explicit LocalReport(const std::string& source = "src", bool with_checksum = true,
                       std::string data2 = "") {
    std::string gz1 = Gzip(kRows1), gz2 = data2.empty() ? Gzip(kRows2) : data2;
    std::string base = "inv/src/cfg/";
    std::string m = Manifest(
        source, {{base + "data/one.csv.gz", gz1}, {base + "data/two.csv.gz", Gzip(kRows2)}});
    dir.WriteFile(base + "data/one.csv.gz", gz1);
    dir.WriteFile(base + "data/two.csv.gz", gz2);
    manifest_path = dir.WriteFile(base + "2026-01-02T00-00Z/manifest.json", m);
    if (with_checksum) dir.WriteFile(base + "2026-01-02T00-00Z/manifest.checksum", Md5Hex(m));
  }
};

std::vector<InventoryRow> ReadAll(InventoryReport& r, Status* status) {
  std::vector<InventoryRow> rows;
  *status = r.ForEachRow([&](const InventoryRow& row) {
    rows.push_back(row);
    return Status::Ok();
  });
  return rows;
}

TEST(InventoryManifest, ParsesAwsFields) {
  auto m = ParseInventoryManifest(Manifest("src", {{"p/data/x.csv.gz", "abc"}}), "m.json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->source_bucket, "src");
  EXPECT_EQ(m->destination_bucket, "dest");
  ASSERT_EQ(m->schema.size(), 6u);
  EXPECT_EQ(m->schema[1], "Key");
  EXPECT_EQ(m->schema[5], "IntelligentTieringAccessTier");
  ASSERT_EQ(m->files.size(), 1u);
  EXPECT_EQ(m->files[0].key, "p/data/x.csv.gz");
  EXPECT_EQ(m->files[0].size, 3u);
  EXPECT_EQ(m->files[0].md5_hex, Md5Hex("abc"));
}

TEST(InventoryManifest, OrcAndParquetNameCsv) {
  for (const char* format : {"ORC", "Parquet"}) {
    auto m = ParseInventoryManifest(Manifest("src", {}, format), "m.json");
    ASSERT_FALSE(m.ok());
    EXPECT_TRUE(m.status().IsInvalidArgument());
    EXPECT_NE(m.status().message().find(format), std::string::npos) << m.status().message();
    EXPECT_NE(m.status().message().find("CSV"), std::string::npos) << m.status().message();
  }
}

TEST(InventoryManifest, RejectsWhatIsNotAManifest) {
  for (const char* text : {"", "[]", "{\"files\":[]}", "not json",
                           "{\"sourceBucket\":\"s\",\"fileFormat\":\"CSV\",\"fileSchema\":"
                           "\"Bucket, Key\",\"files\":[{\"key\":\"k\"}]}"}) {
    auto m = ParseInventoryManifest(text, "m.json");
    EXPECT_FALSE(m.ok()) << text;
  }
}

TEST(InventoryCsv, QuotedUrlEncodedRowsWithOptionalFields) {
  std::istringstream in(std::string(kRows1) + kRows2);
  std::vector<std::string> schema = ParseInventoryManifest(Manifest("src", {}), "m")->schema;
  InventoryCsvReader r(in, schema, "one.csv");
  std::vector<InventoryRow> rows;
  while (true) {
    auto row = r.Next();
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    if (!*row) break;
    rows.push_back(**row);
  }
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].object, (ObjectRef{"src", "cold/a b.dat", ""}));
  EXPECT_EQ(rows[0].size, 100u);
  EXPECT_EQ(rows[0].storage_class, "GLACIER");
  EXPECT_EQ(rows[0].last_modified, ParseIso8601("2020-01-01T00:00:00Z"));
  EXPECT_TRUE(rows[0].Archived());
  EXPECT_EQ(rows[1].object.key, "cold/deep/x.h5");
  EXPECT_FALSE(rows[2].Archived());  // STANDARD
  EXPECT_TRUE(rows[3].Archived());   // INTELLIGENT_TIERING ARCHIVE_ACCESS
  EXPECT_EQ(rows[3].Info().archive_status, "ARCHIVE_ACCESS");
  EXPECT_FALSE(rows[4].Archived());  // INTELLIGENT_TIERING FREQUENT
}

TEST(InventoryCsv, BadRowsNameTheLine) {
  std::vector<std::string> schema = {"Bucket", "Key", "Size"};
  for (const char* text :
       {"\"b\",\"k\"\n", "\"b\",\"k\",\"x1\"\n", "\"b\",\"k%zz\",\"1\"\n", "\"b\",\"k\",\"1\n"}) {
    std::istringstream in(std::string("\"b\",\"ok\",\"1\"\n") + text);
    InventoryCsvReader r(in, schema, "d.csv");
    ASSERT_TRUE(r.Next().ok());
    auto row = r.Next();
    ASSERT_FALSE(row.ok()) << text;
    EXPECT_EQ(row.status().message().rfind("d.csv:2: ", 0), 0u) << row.status().message();
  }
}

TEST(InventorySelector, PrefixesGlobsClassSizeAge) {
  InventoryRow row;
  row.object = {"src", "cold/run1/out.h5", ""};
  row.size = 1000;
  row.storage_class = "DEEP_ARCHIVE";
  row.last_modified = ParseIso8601("2020-01-01T00:00:00Z");
  InventorySelector s;
  EXPECT_TRUE(s.Matches(row));
  s.prefix = "cold/";
  EXPECT_TRUE(s.Matches(row));
  s.include = {"hot/", "**/*.h5"};
  EXPECT_TRUE(s.Matches(row));
  s.exclude = {"cold/run1/"};
  EXPECT_FALSE(s.Matches(row));
  s.exclude = {"*.txt"};
  EXPECT_TRUE(s.Matches(row));
  s.storage_classes = {"GLACIER"};
  EXPECT_FALSE(s.Matches(row));
  s.storage_classes = {"glacier", "DEEP_ARCHIVE"};
  EXPECT_TRUE(s.Matches(row));
  s.min_size = 1001;
  EXPECT_FALSE(s.Matches(row));
  s.min_size = 1000;
  EXPECT_TRUE(s.Matches(row));
  s.modified_before = ParseIso8601("2019-06-01T00:00:00Z");
  EXPECT_FALSE(s.Matches(row));
  s.modified_before = ParseIso8601("2021-06-01T00:00:00Z");
  EXPECT_TRUE(s.Matches(row));
}

TEST(InventoryReport, ReadsALocalCopyAndFeedsWhatTheSelectorTakes) {
  LocalReport rep;
  auto r = InventoryReport::Open(rep.manifest_path, nullptr, "src", rep.dir.path() + "/tmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Status s;
  auto rows = ReadAll(**r, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(rows.size(), 5u);

  InventorySelector sel;
  sel.exclude = {"cold/deep"};
  std::vector<std::pair<ObjectRef, std::optional<s3::ObjectInfo>>> fed;
  InventoryFeedCounts c;
  s = FeedInventory(
      **r, sel, /*check_restored=*/true,
      [&](const ObjectRef& o, std::optional<s3::ObjectInfo> k) {
        fed.push_back({o, k});
      },
      &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.rows, 5u);
  EXPECT_EQ(c.selected, 4u);
  ASSERT_EQ(fed.size(), 4u);
  EXPECT_EQ(fed[0].first.key, "cold/a b.dat");
  EXPECT_FALSE(fed[0].second.has_value());  // archived: the engine HEADs it (restore state)
  EXPECT_EQ(fed[1].first.key, "hot/c.txt");
  ASSERT_TRUE(fed[1].second.has_value());  // not archived per the report: no HEAD, no request
  EXPECT_FALSE(fed[1].second->archived());
  EXPECT_FALSE(fed[2].second.has_value());  // Intelligent-Tiering Archive Access
  ASSERT_TRUE(fed[3].second.has_value());   // Intelligent-Tiering Frequent Access
  EXPECT_FALSE(fed[3].second->archived());
}

TEST(InventoryReport, ByDefaultArchivedRowsComeWithTheReportsInfoAndNoHead) {
  LocalReport rep;
  auto r = InventoryReport::Open(rep.manifest_path, nullptr, "src", rep.dir.path() + "/tmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  InventorySelector sel;
  sel.exclude = {"cold/deep"};
  std::vector<std::pair<ObjectRef, std::optional<s3::ObjectInfo>>> fed;
  Status s = FeedInventory(
      **r, sel, /*check_restored=*/false,
      [&](const ObjectRef& o, std::optional<s3::ObjectInfo> k) {
        fed.push_back({o, k});
      },
      nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(fed.size(), 4u);
  for (const auto& [object, known] : fed) {
    ASSERT_TRUE(known.has_value()) << object.key;  // nothing left for the engine to HEAD
  }
  EXPECT_EQ(fed[0].first.key, "cold/a b.dat");
  EXPECT_TRUE(fed[0].second->archived());
  EXPECT_EQ(fed[0].second->restore.state, s3::RestoreStatus::State::kNone);
  EXPECT_TRUE(fed[2].second->archived());  // Intelligent-Tiering Archive Access, from the report
  EXPECT_FALSE(fed[3].second->archived());
}

TEST(InventoryReport, TallyByClassPrefixAndCost) {
  LocalReport rep;
  auto r = InventoryReport::Open(rep.manifest_path, nullptr, "", rep.dir.path() + "/tmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  InventoryTally t(1);
  ASSERT_TRUE((*r)->ForEachRow([&](const InventoryRow& row) {
                    t.Add(row);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(t.rows(), 5u);
  EXPECT_EQ(t.by_class().at("GLACIER").bytes, 100u);
  EXPECT_EQ(t.by_class().at("INTELLIGENT_TIERING ARCHIVE_ACCESS").objects, 1u);
  EXPECT_EQ(t.by_prefix().at("cold/").objects, 2u);
  EXPECT_EQ(t.by_prefix().at("cold/").bytes, 5100u);
  uint64_t left_out = 0;
  auto bulk = t.Cost(s3::RestoreTier::kBulk, 1, &left_out).Total();
  EXPECT_EQ(bulk.objects, 3);  // GLACIER, DEEP_ARCHIVE, IT Archive Access
  EXPECT_EQ(left_out, 0u);
  auto exp = t.Cost(s3::RestoreTier::kExpedited, 1, &left_out).Total();
  EXPECT_EQ(exp.objects, 2);
  EXPECT_EQ(left_out, 1u);  // Deep Archive cannot be Expedited
  EXPECT_GT(exp.restore_usd, bulk.restore_usd);
}

TEST(InventoryReport, AnotherBucketThanNamedIsRefused) {
  LocalReport rep("other");
  auto r = InventoryReport::Open(rep.manifest_path, nullptr, "src", rep.dir.path() + "/tmp");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("inventory of bucket 'other', not of 'src'"),
            std::string::npos)
      << r.status().message();
}

TEST(InventoryReport, ManifestChecksumMismatchIsRefused) {
  LocalReport rep;
  rep.dir.WriteFile("inv/src/cfg/2026-01-02T00-00Z/manifest.checksum",
                    "00000000000000000000000000000000");
  auto r = InventoryReport::Open(rep.manifest_path, nullptr, "src", rep.dir.path() + "/tmp");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
}

TEST(InventoryReport, DataFileMd5MismatchStopsBeforeItsRows) {
  LocalReport rep("src", true,
                  Gzip(std::string(kRows2) + "\"src\",\"extra\",\"1\",\"\",\"\",\"\"\n"));
  auto r = InventoryReport::Open(rep.manifest_path, nullptr, "src", rep.dir.path() + "/tmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Status s;
  auto rows = ReadAll(**r, &s);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("MD5"), std::string::npos) << s.message();
  EXPECT_EQ(rows.size(), 3u);  // the first file only
}

TEST(InventoryReport, TruncatedGzipIsRefused) {
  // The manifest's MD5 matches the truncated file (a report cut while being copied, whose
  // manifest was written for what is there): the gzip stream itself must catch it.
  TempDir dir;
  std::string big;
  for (int i = 0; i < 20000; ++i) {
    big += "\"src\",\"k/" + std::to_string(i) +
           "\",\"1\",\"2020-01-01T00:00:00.000Z\","
           "\"GLACIER\",\"\"\n";
  }
  std::string gz = Gzip(big);
  gz.resize(gz.size() / 2);
  dir.WriteFile("p/src/c/data/a.csv.gz", gz);
  std::string m = Manifest("src", {{"p/src/c/data/a.csv.gz", gz}});
  std::string path = dir.WriteFile("p/src/c/2026-01-01T00-00Z/manifest.json", m);
  auto r = InventoryReport::Open(path, nullptr, "src", dir.path() + "/tmp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Status s;
  ReadAll(**r, &s);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
}

TEST(InventoryReport, ReadsFromS3) {
  FakeClock clock;
  s3::MockS3Client s3(clock);
  std::string gz1 = Gzip(kRows1), gz2 = Gzip(kRows2);
  std::string m =
      Manifest("src", {{"inv/src/cfg/data/one.csv.gz", gz1}, {"inv/src/cfg/data/two.csv.gz", gz2}});
  s3.AddObject("dest", "inv/src/cfg/data/one.csv.gz", gz1);
  s3.AddObject("dest", "inv/src/cfg/data/two.csv.gz", gz2);
  s3.AddObject("dest", "inv/src/cfg/2026-01-02T00-00Z/manifest.json", m);
  s3.AddObject("dest", "inv/src/cfg/2026-01-02T00-00Z/manifest.checksum", Md5Hex(m) + "\n");
  TempDir tmp;
  auto r = InventoryReport::Open("s3://dest/inv/src/cfg/2026-01-02T00-00Z/manifest.json", &s3,
                                 "src", tmp.path() + "/dl");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Status s;
  auto rows = ReadAll(**r, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[4].object.key, "it/freq");
}

}  // namespace
}  // namespace thaw::restore
