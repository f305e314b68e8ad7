// Tests for s3/xml: listings as S3 and moto write them (shapes from the AWS API reference and
// botocore's service model), URL-encoded keys, error documents, hostile or truncated input, and
// the exact RestoreRequest body.
#include "s3/xml.h"

#include <gtest/gtest.h>

#include <chrono>

#include "common/time_format.h"

namespace thaw::s3 {
namespace {

using State = RestoreStatus::State;

Clock::TimePoint Iso(std::string_view s) {
  return *ParseIso8601(s);
}

// The ListObjectsV2 example of the S3 API reference, with an archived object carrying the
// RestoreStatus that x-amz-optional-object-attributes asks for.
constexpr std::string_view kListing = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix/>
  <KeyCount>4</KeyCount>
  <MaxKeys>4</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>my-image.jpg</Key>
    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>archive/cold.tar</Key>
    <LastModified>2023-01-02T03:04:05.678Z</LastModified>
    <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
    <ChecksumAlgorithm>CRC32</ChecksumAlgorithm>
    <Size>9663676416</Size>
    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner>
    <StorageClass>DEEP_ARCHIVE</StorageClass>
    <RestoreStatus>
      <IsRestoreInProgress>false</IsRestoreInProgress>
      <RestoreExpiryDate>2012-12-21T00:00:00.000Z</RestoreExpiryDate>
    </RestoreStatus>
  </Contents>
  <Contents>
    <Key>archive/warming.tar</Key>
    <LastModified>2023-01-02T03:04:05Z</LastModified>
    <ETag>"e1"</ETag>
    <Size>1</Size>
    <StorageClass>GLACIER</StorageClass>
    <RestoreStatus><IsRestoreInProgress>true</IsRestoreInProgress></RestoreStatus>
  </Contents>
  <Contents>
    <Key>no-class</Key>
    <LastModified>2023-01-02T03:04:05Z</LastModified>
    <ETag>"e2"</ETag>
    <Size>0</Size>
  </Contents>
</ListBucketResult>
)";

TEST(ParseListObjectsV2, ReadsEveryField) {
  auto page = ParseListObjectsV2(kListing);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  EXPECT_EQ(page->key_count, 4);
  EXPECT_TRUE(page->common_prefixes.empty());
  ASSERT_EQ(page->objects.size(), 4u);

  const ObjectSummary& img = page->objects[0];
  EXPECT_EQ(img.key, "my-image.jpg");
  EXPECT_EQ(img.size, 434234u);
  EXPECT_EQ(img.etag, "\"fba9dede5f27731c9771645a39863328\"");
  EXPECT_EQ(img.last_modified, Iso("2009-10-12T17:50:30Z"));
  EXPECT_EQ(img.storage_class, "STANDARD");
  EXPECT_FALSE(img.restore.has_value());

  const ObjectSummary& cold = page->objects[1];
  EXPECT_EQ(cold.key, "archive/cold.tar");
  EXPECT_EQ(cold.size, 9663676416u);  // beyond 32 bits
  EXPECT_EQ(cold.etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
  EXPECT_EQ(cold.last_modified, Iso("2023-01-02T03:04:05Z") + std::chrono::milliseconds(678));
  EXPECT_EQ(cold.storage_class, "DEEP_ARCHIVE");
  ASSERT_TRUE(cold.restore.has_value());
  EXPECT_EQ(cold.restore->state, State::kRestored);
  EXPECT_EQ(cold.restore->expiry, Iso("2012-12-21T00:00:00Z"));

  const ObjectSummary& warming = page->objects[2];
  ASSERT_TRUE(warming.restore.has_value());
  EXPECT_EQ(warming.restore->state, State::kOngoing);
  EXPECT_FALSE(warming.restore->expiry.has_value());
  EXPECT_EQ(warming.storage_class, "GLACIER");

  EXPECT_EQ(page->objects[3].storage_class, "STANDARD");  // S3 may omit the element
  EXPECT_EQ(page->objects[3].size, 0u);
}

// What moto answers (captured from moto_server): no newlines, EncodingType=url with Python's
// quote() (space as %20), CommonPrefixes, no RestoreStatus even when asked for.
TEST(ParseListObjectsV2, MotoListingWithUrlEncodingAndPrefixes) {
  constexpr std::string_view kMoto =
      R"(<?xml version="1.0" encoding="utf-8"?>)"
      "\n"
      R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated><Contents><Key>cold</Key><LastModified>2026-11-25T14:57:56.000Z</LastModified><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>0</Size><StorageClass>GLACIER</StorageClass></Contents><Name>bkt</Name><Prefix/><Delimiter>/</Delimiter><MaxKeys>1000</MaxKeys><CommonPrefixes><Prefix>a%20b%2Bc%25d/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>%C3%A9t%C3%A9/</Prefix></CommonPrefixes><EncodingType>url</EncodingType><KeyCount>3</KeyCount></ListBucketResult>)";
  auto page = ParseListObjectsV2(kMoto);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_FALSE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "");
  EXPECT_EQ(page->key_count, 3);
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "cold");
  EXPECT_EQ(page->objects[0].storage_class, "GLACIER");
  EXPECT_FALSE(page->objects[0].restore.has_value());
  ASSERT_EQ(page->common_prefixes.size(), 2u);
  EXPECT_EQ(page->common_prefixes[0], "a b+c%d/");
  EXPECT_EQ(page->common_prefixes[1], "\xC3\xA9t\xC3\xA9/");
}

// S3 itself writes a space as '+' and '+' as %2B (form encoding); botocore decodes with
// unquote_plus. Both spellings of the same key must give the same bytes.
TEST(ParseListObjectsV2, UrlEncodedOddKeys) {
  struct Case {
    std::string_view encoded;
    std::string_view key;
  };
  const Case cases[] = {
      {"a+b%2Bc%25d/%C3%A9t%C3%A9.txt", "a b+c%d/\xC3\xA9t\xC3\xA9.txt"},
      {"a%20b%2Bc%25d/%C3%A9t%C3%A9.txt", "a b+c%d/\xC3\xA9t\xC3\xA9.txt"},
      {"%E6%97%A5%E6%9C%AC%F0%9F%98%80", "\xE6\x97\xA5\xE6\x9C\xAC\xF0\x9F\x98\x80"},
      {"ctrl%01%0A%7F", "ctrl\x01\n\x7F"},
      {"100%25+done", "100% done"},
      {"%2F%2F", "//"},
      {"plain", "plain"},
  };
  for (const Case& c : cases) {
    std::string xml =
        "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
        "<Contents><Key>" +
        std::string(c.encoded) +
        "</Key><LastModified>2023-01-01T00:00:00.000Z</LastModified><Size>1</Size></Contents>"
        "</ListBucketResult>";
    auto page = ParseListObjectsV2(xml);
    ASSERT_TRUE(page.ok()) << c.encoded << ": " << page.status().ToString();
    ASSERT_EQ(page->objects.size(), 1u);
    EXPECT_EQ(page->objects[0].key, c.key) << c.encoded;
  }
}

TEST(ParseListObjectsV2, WithoutEncodingTypeKeysAreVerbatim) {
  constexpr std::string_view kXml =
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<Contents><Key>a+b%20c</Key><Size>1</Size></Contents>"
      "<Contents><Key>x&amp;y&lt;z&gt;&apos;&quot;</Key><Size>2</Size></Contents>"
      "<Contents><Key> </Key><Size>3</Size></Contents>"
      "<Contents><Key>  padded  </Key><Size>4</Size></Contents>"
      "<Contents><Key>\xC3\xA9t\xC3\xA9</Key><Size>5</Size></Contents>"
      "<CommonPrefixes><Prefix>dir with space/</Prefix></CommonPrefixes>"
      "</ListBucketResult>";
  auto page = ParseListObjectsV2(kXml);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 5u);
  EXPECT_EQ(page->objects[0].key, "a+b%20c");
  EXPECT_EQ(page->objects[1].key, "x&y<z>'\"");
  EXPECT_EQ(page->objects[2].key, " ");  // a whitespace-only key is a real key
  EXPECT_EQ(page->objects[3].key, "  padded  ");
  EXPECT_EQ(page->objects[4].key, "\xC3\xA9t\xC3\xA9");
  ASSERT_EQ(page->common_prefixes.size(), 1u);
  EXPECT_EQ(page->common_prefixes[0], "dir with space/");
  // KeyCount absent: the page's own count (keys and prefixes).
  EXPECT_EQ(page->key_count, 6);
}

TEST(ParseListObjectsV2, EmptyBucket) {
  auto page = ParseListObjectsV2(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>nothing/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>)");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->objects.empty());
  EXPECT_EQ(page->key_count, 0);
  EXPECT_FALSE(page->is_truncated);
}

TEST(ParseListObjectsV2, RestoreStatusVariants) {
  auto parse = [](std::string_view restore) {
    return ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key>" + std::string(restore) +
                              "</Contents></ListBucketResult>");
  };
  auto absent = parse("");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->objects[0].restore.has_value());

  auto empty = parse("<RestoreStatus/>");
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(empty->objects[0].restore.has_value());
  EXPECT_EQ(empty->objects[0].restore->state, State::kNone);

  auto finished = parse(
      "<RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress>"
      "</RestoreStatus>");
  ASSERT_TRUE(finished.ok());
  EXPECT_EQ(finished->objects[0].restore->state, State::kRestored);
  EXPECT_FALSE(finished->objects[0].restore->expiry.has_value());

  auto offset = parse(
      "<RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress>"
      "<RestoreExpiryDate>2012-12-21T01:00:00+01:00</RestoreExpiryDate>"
      "</RestoreStatus>");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(offset->objects[0].restore->expiry, Iso("2012-12-21T00:00:00Z"));

  EXPECT_EQ(parse("<RestoreStatus><IsRestoreInProgress>yes</IsRestoreInProgress></RestoreStatus>")
                .status()
                .code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(parse("<RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress>"
                  "<RestoreExpiryDate>tomorrow</RestoreExpiryDate></RestoreStatus>")
                .status()
                .code(),
            StatusCode::kDataLoss);
}

TEST(ParseListObjectsV2, BadFieldsFailWithAClearMessage) {
  struct Case {
    std::string_view xml;
    std::string_view mentions;
  };
  const Case cases[] = {
      {"<ListBucketResult><Contents><Key>k</Key><Size>12abc</Size></Contents></ListBucketResult>",
       "Size '12abc' is not a number"},
      {"<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
       "Size '-1'"},
      {"<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999</Size></Contents>"
       "</ListBucketResult>",
       "Size"},
      {"<ListBucketResult><Contents><Key>k</Key><LastModified>yesterday</LastModified>"
       "</Contents></ListBucketResult>",
       "LastModified 'yesterday'"},
      {"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
       "entry 1: entry without <Key>"},
      {"<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>", "IsTruncated"},
      {"<ListBucketResult><KeyCount>many</KeyCount></ListBucketResult>", "KeyCount 'many'"},
      {"<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>bad%zz</Key>"
       "</Contents></ListBucketResult>",
       "Key 'bad%zz' is not valid URL encoding"},
      {"<ListBucketResult><EncodingType>url</EncodingType><CommonPrefixes><Prefix>p%</Prefix>"
       "</CommonPrefixes></ListBucketResult>",
       "Prefix 'p%'"},
      {"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
       "NextContinuationToken is missing"},
      {"<Error><Code>AccessDenied</Code></Error>", "expected <ListBucketResult>, got <Error>"},
      {"<ListAllMyBucketsResult/>", "expected <ListBucketResult>"},
      {"", "empty body"},
      {"   \n", "empty body"},
      {"not xml at all", "ListObjectsV2 response"},
      {"<ListBucketResult><Contents></ListBucketResult>", "malformed XML"},
      {"<ListBucketResult><Contents><Key>k</Key></Contents>", "malformed XML"},
      {"<ListBucketResult></ListBucketResult><Extra/>", "more than one root element"},
      {"<ListBucketResult></ListBucketResult>trailing", "text outside the root element"},
      {"junk<ListBucketResult></ListBucketResult>", "text outside the root element"},
  };
  for (const Case& c : cases) {
    auto page = ParseListObjectsV2(c.xml);
    ASSERT_FALSE(page.ok()) << c.xml;
    EXPECT_EQ(page.status().code(), StatusCode::kDataLoss) << c.xml;
    EXPECT_NE(page.status().message().find(c.mentions), std::string::npos)
        << c.xml << " -> " << page.status().message();
    EXPECT_TRUE(page.status().message().starts_with("ListObjectsV2 response: "))
        << page.status().message();
  }
}

TEST(ParseListObjectsV2, EntitiesAreNotExpanded) {
  // A DOCTYPE with entities (XXE, billion laughs) must not pull in anything.
  constexpr std::string_view kXml = R"(<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY a "aaaaaaaaaa">]>
<ListBucketResult><Contents><Key>&xxe;&a;</Key></Contents></ListBucketResult>)";
  auto page = ParseListObjectsV2(kXml);
  if (page.ok()) {
    ASSERT_EQ(page->objects.size(), 1u);
    EXPECT_EQ(page->objects[0].key.find("root:"), std::string::npos);
    EXPECT_EQ(page->objects[0].key.find("aaaaaaaaaa"), std::string::npos);
  } else {
    EXPECT_EQ(page.status().code(), StatusCode::kDataLoss);
  }
}

// Cutting a valid document anywhere must never crash; a cut document is either rejected or,
// when only trailing whitespace was cut, read exactly as the whole.
TEST(ParseListObjectsV2, TruncatedAtEverySeventhByte) {
  auto full = ParseListObjectsV2(kListing);
  ASSERT_TRUE(full.ok());
  int accepted = 0;
  for (size_t n = 0; n < kListing.size(); n += 7) {
    auto page = ParseListObjectsV2(kListing.substr(0, n));
    if (page.ok()) {
      ++accepted;
      ASSERT_EQ(page->objects.size(), full->objects.size()) << n;
      for (size_t i = 0; i < full->objects.size(); ++i) {
        EXPECT_EQ(page->objects[i].key, full->objects[i].key) << n;
        EXPECT_EQ(page->objects[i].size, full->objects[i].size) << n;
      }
    } else {
      EXPECT_EQ(page.status().code(), StatusCode::kDataLoss) << n;
      EXPECT_FALSE(page.status().message().empty()) << n;
    }
  }
  // Only a cut in the final newline can be complete.
  EXPECT_LE(accepted, 1);
}

TEST(ParseListObjectsV2, EveryPrefixAndCorruptedByteIsSafe) {
  std::string doc(kListing);
  for (size_t n = 0; n <= doc.size(); ++n) {
    auto page = ParseListObjectsV2(std::string_view(doc).substr(0, n));
    if (!page.ok()) {
      EXPECT_EQ(page.status().code(), StatusCode::kDataLoss) << n;
    }
  }
  for (size_t i = 0; i < doc.size(); i += 3) {
    std::string bad = doc;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto page = ParseListObjectsV2(bad);
    if (!page.ok()) {
      EXPECT_EQ(page.status().code(), StatusCode::kDataLoss) << i;
    }
  }
}

TEST(ParseErrorBody, InvalidObjectStateWithStorageClass) {
  auto e = ParseErrorBody(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>InvalidObjectState</Code>
  <Message>The operation is not valid for the object's storage class</Message>
  <StorageClass>DEEP_ARCHIVE</StorageClass>
  <RequestId>4442587FB7D0A2F9</RequestId>
  <HostId>eftixk72aD6Ap51TnqcoF8eFidJG9Z/2mkiDFu8yU9AS1ed4OpIszj7UDNEHGran</HostId>
</Error>)");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "InvalidObjectState");
  EXPECT_EQ(e->message, "The operation is not valid for the object's storage class");
  EXPECT_EQ(e->storage_class, "DEEP_ARCHIVE");
  EXPECT_EQ(e->request_id, "4442587FB7D0A2F9");
  EXPECT_EQ(e->access_tier, "");
}

TEST(ParseErrorBody, NoSuchKeyWithResource) {
  auto e = ParseErrorBody(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message><Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>)");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->resource, "/mybucket/myfoto.jpg");
}

TEST(ParseErrorBody, SlowDownAndIntelligentTiering) {
  auto slow = ParseErrorBody(
      "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
      "<RequestId>R</RequestId><HostId>H</HostId></Error>");
  ASSERT_TRUE(slow.has_value());
  EXPECT_EQ(slow->code, "SlowDown");
  EXPECT_EQ(slow->message, "Please reduce your request rate.");
  auto it = ParseErrorBody(
      "<Error><Code>InvalidObjectState</Code><Message>m</Message>"
      "<StorageClass>INTELLIGENT_TIERING</StorageClass>"
      "<AccessTier>DEEP_ARCHIVE_ACCESS</AccessTier></Error>");
  ASSERT_TRUE(it.has_value());
  EXPECT_EQ(it->access_tier, "DEEP_ARCHIVE_ACCESS");
}

TEST(ParseErrorBody, BodyWithoutCodeIsStillAnErrorDocument) {
  auto e = ParseErrorBody("<Error><Message>Something failed</Message></Error>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "");
  EXPECT_EQ(e->message, "Something failed");
}

TEST(ParseErrorBody, ErrorResponseWrapperIsAccepted) {
  auto e = ParseErrorBody(
      "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>"
      "<Message>The security token included in the request is expired</Message></Error>"
      "<RequestId>abc</RequestId></ErrorResponse>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "ExpiredToken");
}

TEST(ParseErrorBody, NotAnErrorDocument) {
  for (std::string_view body :
       {"", "  ", "<html><body>502 Bad Gateway</body></html>", "plain text",
        "<Error><Code>SlowDown</Code>", "<ListBucketResult/>", "<ErrorResponse/>", "<Error"}) {
    EXPECT_FALSE(ParseErrorBody(body).has_value()) << body;
  }
}

TEST(ParseErrorBody, TruncatedAtEverySeventhByte) {
  const std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidObjectState</Code>"
      "<Message>The operation is not valid for the object's storage class</Message>"
      "<StorageClass>GLACIER</StorageClass><RequestId>RID</RequestId></Error>";
  for (size_t n = 0; n < doc.size(); n += 7) {
    // A cut document never yields a half-read code (e.g. "InvalidObj").
    auto e = ParseErrorBody(std::string_view(doc).substr(0, n));
    EXPECT_FALSE(e.has_value()) << n;
  }
  EXPECT_TRUE(ParseErrorBody(doc).has_value());
}

TEST(BuildRestoreRequestXml, ExactBodies) {
  EXPECT_EQ(BuildRestoreRequestXml(RestoreTier::kBulk, 7),
            "<RestoreRequest><Days>7</Days><GlacierJobParameters><Tier>Bulk</Tier>"
            "</GlacierJobParameters></RestoreRequest>");
  EXPECT_EQ(BuildRestoreRequestXml(RestoreTier::kExpedited, 1),
            "<RestoreRequest><Days>1</Days><GlacierJobParameters><Tier>Expedited</Tier>"
            "</GlacierJobParameters></RestoreRequest>");
  // Intelligent-Tiering: no Days.
  EXPECT_EQ(BuildRestoreRequestXml(RestoreTier::kStandard, std::nullopt),
            "<RestoreRequest><GlacierJobParameters><Tier>Standard</Tier>"
            "</GlacierJobParameters></RestoreRequest>");
}

TEST(BuildRestoreRequestXml, IsWellFormedAndHasNoTopLevelTier) {
  std::string xml = BuildRestoreRequestXml(RestoreTier::kStandard, 30);
  // Exactly one <Tier>, inside GlacierJobParameters (a second one is MalformedXML to S3).
  size_t first = xml.find("<Tier>");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(xml.find("<Tier>", first + 1), std::string::npos);
  EXPECT_LT(xml.find("<GlacierJobParameters>"), first);
}

TEST(ParseListBuckets, ReadsNames) {
  auto names = ParseListBuckets(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Buckets>
    <Bucket><CreationDate>2019-12-11T23:32:47+00:00</CreationDate><Name>DOC-EXAMPLE-BUCKET</Name></Bucket>
    <Bucket><CreationDate>2019-11-10T23:32:13+00:00</CreationDate><Name>doc-example-bucket2</Name><BucketRegion>eu-west-1</BucketRegion></Bucket>
  </Buckets>
  <Owner><DisplayName>Account+Name</DisplayName><ID>AIDACKCEVSQ6C2EXAMPLE</ID></Owner>
</ListAllMyBucketsResult>)");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"DOC-EXAMPLE-BUCKET", "doc-example-bucket2"}));
}

TEST(ParseListBuckets, NoBuckets) {
  auto a = ParseListBuckets("<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->empty());
  auto b = ParseListBuckets("<ListAllMyBucketsResult><Owner/></ListAllMyBucketsResult>");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->empty());
}

TEST(ParseListBuckets, Errors) {
  for (std::string_view body :
       {"", "<ListBucketResult/>",
        "<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name></Bucket>",
        "<ListAllMyBucketsResult><Buckets><Bucket><CreationDate>x</CreationDate></Bucket>"
        "</Buckets></ListAllMyBucketsResult>"}) {
    auto r = ParseListBuckets(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_TRUE(r.status().message().starts_with("ListBuckets response: "));
  }
  const std::string doc =
      "<ListAllMyBucketsResult><Buckets><Bucket><Name>one</Name></Bucket><Bucket><Name>two"
      "</Name></Bucket></Buckets></ListAllMyBucketsResult>";
  for (size_t n = 0; n < doc.size(); n += 7) {
    EXPECT_FALSE(ParseListBuckets(std::string_view(doc).substr(0, n)).ok()) << n;
  }
}

}  // namespace
}  // namespace thaw::s3
