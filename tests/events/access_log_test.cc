// S3 server access logs: field splitting (quotes, brackets, "-"), the time format, which lines
// become restore requests, appended fields, and lines cut short anywhere.
#include "events/access_log.h"

#include <gtest/gtest.h>

#include "common/strings.h"
#include "common/time_format.h"
#include "events/message.h"
#include "test_util.h"

namespace thaw::events {
namespace {

using testing::Fixture;
using testing::Gzip;

std::vector<std::string> Lines() {
  return Split(Fixture("access.log"), '\n');
}

TEST(AccessLog, ParsesTime) {
  auto t = ParseAccessLogTime("[06/Feb/2019:00:00:38 +0000]");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatIso8601(*t, false), "2019-02-06T00:00:38Z");
  auto eastern = ParseAccessLogTime("06/Feb/2019:01:02:03 -0500");
  ASSERT_TRUE(eastern);
  EXPECT_EQ(FormatIso8601(*eastern, false), "2019-02-06T06:02:03Z");
  EXPECT_FALSE(ParseAccessLogTime("[31/Feb/2019:00:00:38 +0000]"));
  EXPECT_FALSE(ParseAccessLogTime("[06/Fev/2019:00:00:38 +0000]"));
  EXPECT_FALSE(ParseAccessLogTime("[06/Feb/2019:24:00:38 +0000]"));
  EXPECT_FALSE(ParseAccessLogTime("[06/Feb/2019:00:00:38]"));
  EXPECT_FALSE(ParseAccessLogTime(""));
  // Years a TimePoint cannot hold (found by fuzzing: the conversion overflowed).
  EXPECT_FALSE(ParseAccessLogTime("[06/Feb/9999:00:00:38 +0000]"));
  EXPECT_FALSE(ParseAccessLogTime("[06/Feb/0001:00:00:38 +0000]"));
}

TEST(AccessLog, SplitsALine) {
  Result<AccessLogRecord> r = ParseAccessLogLine(Lines()[0]);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->bucket_owner, "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be");
  EXPECT_EQ(r->bucket, "archive-bucket");
  ASSERT_TRUE(r->time);
  EXPECT_EQ(FormatIso8601(*r->time, false), "2019-02-06T00:00:38Z");
  EXPECT_EQ(r->remote_ip, "192.0.2.3");
  EXPECT_EQ(r->requester, "arn:aws:iam::111122223333:user/analyst");
  EXPECT_EQ(r->request_id, "3E57427F3EXAMPLE");
  EXPECT_EQ(r->operation, "REST.GET.OBJECT");
  EXPECT_EQ(r->raw_key, "data/2019/run%2042/results.parquet");
  EXPECT_EQ(r->key, "data/2019/run 42/results.parquet");
  EXPECT_EQ(r->request_uri, "GET /data/2019/run%2042/results.parquet HTTP/1.1");
  EXPECT_EQ(r->http_status, 403);
  EXPECT_EQ(r->error_code, "InvalidObjectState");
  EXPECT_EQ(r->user_agent, "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64 command/s3.cp");
  EXPECT_EQ(r->version_id, "");  // "-"
  EXPECT_EQ(r->field_count, 26u);
}

TEST(AccessLog, QuotedFieldsWithSpacesAndDashes) {
  Result<AccessLogRecord> r = ParseAccessLogLine(Lines()[2]);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->requester, "");
  EXPECT_EQ(r->error_code, "AccessDenied");
  EXPECT_EQ(r->user_agent,
            "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0");
  // A quote inside a quoted field that is not followed by a space does not end it.
  Result<AccessLogRecord> q = ParseAccessLogLine(
      "o b [06/Feb/2019:00:00:38 +0000] ip r id REST.GET.OBJECT k \"GET /k\"x HTTP/1.1\" 200 - "
      "1 2 3 4 \"-\" \"ua \"q\"\" - h");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->request_uri, "GET /k\"x HTTP/1.1");
  EXPECT_EQ(q->user_agent, "ua \"q\"");
  EXPECT_EQ(q->host_id, "h");
}

TEST(AccessLog, AppendedFieldsAreAccepted) {
  Result<AccessLogRecord> r = ParseAccessLogLine(Lines()[6]);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->field_count, 28u);
  EXPECT_EQ(r->key, "c++/notes+v2 final.txt");
}

TEST(AccessLog, FixtureEvents) {
  Result<Parsed> p = ParseAccessLog(Fixture("access.log"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->format, Format::kAccessLog);
  EXPECT_EQ(p->records_seen, 9u);  // the blank last line is not a record
  ASSERT_EQ(p->events.size(), 3u);
  const Event& a = p->events[0];
  EXPECT_EQ(a.kind, EventKind::kRestoreWanted);
  EXPECT_EQ(a.format, Format::kAccessLog);
  EXPECT_EQ(a.bucket, "archive-bucket");
  EXPECT_EQ(a.key, "data/2019/run 42/results.parquet");
  EXPECT_EQ(a.event_id, "accesslog:3E57427F3EXAMPLE");
  EXPECT_EQ(a.request_id, "3E57427F3EXAMPLE");
  EXPECT_EQ(a.event_name, "REST.GET.OBJECT");
  EXPECT_EQ(a.error_code, "InvalidObjectState");
  EXPECT_EQ(a.principal, "arn:aws:iam::111122223333:user/analyst");
  const Event& v = p->events[1];
  EXPECT_EQ(v.key, "logs/2018/app.log.gz");
  EXPECT_EQ(v.version_id, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");
  ASSERT_TRUE(v.time);
  EXPECT_EQ(FormatIso8601(*v.time, false), "2019-02-06T06:02:03Z");
  EXPECT_EQ(p->events[2].key, "c++/notes+v2 final.txt");

  EXPECT_EQ(p->IgnoredCount(IgnoreReason::kSucceeded), 2u);   // GET 200, HEAD 200
  EXPECT_EQ(p->IgnoredCount(IgnoreReason::kOtherError), 1u);  // AccessDenied
  EXPECT_EQ(p->IgnoredCount(IgnoreReason::kOtherEvent), 2u);  // PUT, lifecycle transition
  EXPECT_EQ(p->IgnoredCount(IgnoreReason::kMalformed), 1u);   // the line cut short
  bool found = false;
  for (const Ignored& i : p->ignored) {
    if (i.reason == IgnoreReason::kMalformed) {
      EXPECT_EQ(i.detail, "line 8: unterminated quoted field");
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(AccessLog, GzipAndGenericEntryPoint) {
  Result<Parsed> gz = ParseAccessLog(Gzip(Fixture("access.log")));
  ASSERT_TRUE(gz.ok()) << gz.status().ToString();
  EXPECT_EQ(gz->events.size(), 3u);
  Result<Parsed> generic = ParseMessage(Fixture("access.log"));
  ASSERT_TRUE(generic.ok()) << generic.status().ToString();
  EXPECT_EQ(generic->format, Format::kAccessLog);
  EXPECT_EQ(generic->events.size(), 3u);
  // CRLF line ends are accepted.
  std::string crlf;
  for (const std::string& line : Lines()) crlf += line + "\r\n";
  Result<Parsed> dos = ParseAccessLog(crlf);
  ASSERT_TRUE(dos.ok());
  EXPECT_EQ(dos->events.size(), 3u);
  EXPECT_EQ(dos->events[0].key, "data/2019/run 42/results.parquet");
}

TEST(AccessLog, EveryCutOfEveryLineIsTyped) {
  for (const std::string& line : Lines()) {
    for (size_t cut = 0; cut <= line.size(); ++cut) {
      std::string part = line.substr(0, cut);
      Result<AccessLogRecord> r = ParseAccessLogLine(part);
      if (!r.ok()) {
        EXPECT_EQ(ParseErrorKindOf(r.status()), ParseErrorKind::kBadLine);
      } else {
        EXPECT_GE(r->field_count, 11u);
      }
      Result<Parsed> p = ParseAccessLog(part);
      ASSERT_TRUE(p.ok()) << part;
      EXPECT_EQ(p->events.size() + p->IgnoredTotal(), p->records_seen);
      EXPECT_LE(p->events.size(), 1u);
      for (const Event& e : p->events) EXPECT_FALSE(e.key.empty());
    }
  }
}

TEST(AccessLog, ShortAndUndecodableLines) {
  Result<Parsed> p = ParseAccessLog(
      "o b [06/Feb/2019:00:00:38 +0000] ip r id REST.GET.OBJECT\n"
      "o b [06/Feb/2019:00:00:38 +0000] ip r id REST.GET.OBJECT a%zz \"GET /a HTTP/1.1\" 403 "
      "InvalidObjectState\n"
      "o b [06/Feb/2019:00:00:38 +0000 ip r id REST.GET.OBJECT k \"GET /k HTTP/1.1\" 403 X\n");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->events.empty());
  ASSERT_EQ(p->ignored.size(), 3u);
  EXPECT_EQ(p->ignored[0].detail, "line 1: too few fields");
  EXPECT_EQ(p->ignored[1].reason, IgnoreReason::kMalformed);
  EXPECT_EQ(p->ignored[1].event_id, "id");
  EXPECT_EQ(p->ignored[2].detail, "line 3: unterminated [time] field");
}

TEST(AccessLog, LongLinesAreRefused) {
  Limits limits;
  limits.max_line_bytes = 100;
  Result<Parsed> p = ParseAccessLog(Lines()[0], limits);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->events.empty());
  EXPECT_EQ(p->IgnoredCount(IgnoreReason::kMalformed), 1u);
}

TEST(AccessLog, GenericEntryPointRefusesRandomText) {
  for (const char* text :
       {"hello world", "-", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "a b c d e f g h i j k l m"}) {
    Result<Parsed> p = ParseMessage(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(ParseErrorKindOf(p.status()), ParseErrorKind::kUnknownShape) << text;
  }
  EXPECT_TRUE(LooksLikeAccessLog("\n" + Lines()[0]));
  EXPECT_FALSE(LooksLikeAccessLog(Lines()[7]));
}

}  // namespace
}  // namespace thaw::events
