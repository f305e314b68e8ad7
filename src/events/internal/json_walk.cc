// The schema walk of fields.h over simdjson On Demand values.
//
// The schema is a static tree of the member names thaw reads. Lookup of each member name is a
// hash probe into a small per-level table built once, because a CloudTrail record has ~25
// members and the hot path (a 1 GB log set) sees every one of them: a linear scan of the ~40
// names would dominate the parse.
#include "events/internal/json_walk.h"

// simdjson's exception-throwing conveniences are compiled out so that every access has to look
// at its error code.
#ifndef SIMDJSON_EXCEPTIONS
#define SIMDJSON_EXCEPTIONS 0
#endif
#include <simdjson.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

namespace thaw::events::internal {
namespace {

namespace od = simdjson::ondemand;
static_assert(kPadding == simdjson::SIMDJSON_PADDING);

// The error for a simdjson failure while reading `what` ("Records", "document"...).
Status JsonError(simdjson::error_code error, std::string_view what) {
  std::string message = "json: ";
  message += what;
  message += ": ";
  message += simdjson::error_message(error);
  switch (error) {
    case simdjson::CAPACITY:
    case simdjson::MEMALLOC:
      return ParseError(ParseErrorKind::kTooLarge, std::move(message));
    case simdjson::DEPTH_ERROR:
      return ParseError(ParseErrorKind::kTooDeep, std::move(message));
    case simdjson::INCORRECT_TYPE:
      return ParseError(ParseErrorKind::kWrongType, std::move(message));
    default:
      return ParseError(ParseErrorKind::kBadJson, std::move(message));
  }
}

enum class Kind : uint8_t { kString, kNumber, kObject, kRecords, kDetail };

struct Node;
// A level of the schema: its nodes and a hash table over their names.
class Level {
 public:
  explicit Level(std::vector<Node> nodes);
  const Node* Find(std::string_view key) const;

 private:
  static size_t Hash(std::string_view key) {
    // Names differ in length and at their ends; this spreads the ~40 names of a level well.
    return (key.size() * 31u + static_cast<unsigned char>(key.front()) * 7u +
            static_cast<unsigned char>(key.back()) * 131u +
            static_cast<unsigned char>(key[key.size() / 2])) &
           (kBuckets - 1);
  }
  static constexpr size_t kBuckets = 128;
  std::vector<Node> nodes_;
  std::array<int16_t, kBuckets> table_;
};

struct Node {
  std::string_view key;
  Kind kind;
  Slot slot;                     // kString / kNumber
  const Level* child = nullptr;  // kObject
};

Level::Level(std::vector<Node> nodes) : nodes_(std::move(nodes)) {
  table_.fill(-1);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    size_t h = Hash(nodes_[i].key);
    while (table_[h] >= 0) h = (h + 1) & (kBuckets - 1);
    table_[h] = static_cast<int16_t>(i);
  }
}

const Node* Level::Find(std::string_view key) const {
  if (key.empty()) return nullptr;
  for (size_t h = Hash(key);; h = (h + 1) & (kBuckets - 1)) {
    int16_t i = table_[h];
    if (i < 0) return nullptr;
    if (nodes_[i].key == key) return &nodes_[i];
  }
}

Node S(std::string_view key, Slot slot) {
  return Node{key, Kind::kString, slot};
}
Node O(std::string_view key, const Level* child) {
  return Node{key, Kind::kObject, Slot::kCount, child};
}

// The schema. One root level serves the top of a message, each record of a "Records" array and
// an EventBridge "detail" alike: the formats use disjoint names, and the classifiers know
// which slots belong to which format.
struct Schema {
  Level user_identity{{S("arn", Slot::kPrincipalArn), S("accountId", Slot::kPrincipalAccount),
                       S("principalId", Slot::kPrincipalId)}};
  Level request_parameters{{S("bucketName", Slot::kReqBucket), S("key", Slot::kReqKey),
                            S("versionId", Slot::kReqVersionId)}};
  Level response_elements{{S("x-amz-request-id", Slot::kRequestId)}};
  Level bucket{{S("name", Slot::kBucket)}};
  Level object{{S("key", Slot::kKey), S("versionId", Slot::kVersionId),
                S("version-id", Slot::kVersionId), S("sequencer", Slot::kSequencer),
                Node{"size", Kind::kNumber, Slot::kSize}}};
  Level s3{{O("bucket", &bucket), O("object", &object)}};
  Level restore_event_data{{S("lifecycleRestorationExpiryTime", Slot::kRestoreExpiry),
                            S("lifecycleRestoreStorageClass", Slot::kRestoreClass)}};
  Level glacier_event_data{{O("restoreEventData", &restore_event_data)}};
  Level sns{
      {S("Type", Slot::kType), S("Message", Slot::kMessage), S("MessageId", Slot::kSnsMessageId)}};
  Level root{{
      S("eventVersion", Slot::kEventVersion),
      S("eventSource", Slot::kEventSource),
      S("EventSource", Slot::kEventSourceSns),
      S("eventName", Slot::kEventName),
      S("eventTime", Slot::kEventTime),
      S("eventID", Slot::kEventId),
      S("awsRegion", Slot::kAwsRegion),
      S("errorCode", Slot::kErrorCode),
      S("recipientAccountId", Slot::kRecipientAccount),
      S("requestID", Slot::kRequestId),
      O("userIdentity", &user_identity),
      O("requestParameters", &request_parameters),
      O("responseElements", &response_elements),
      O("s3", &s3),
      O("glacierEventData", &glacier_event_data),
      S("messageId", Slot::kMessageId),
      S("body", Slot::kBody),
      S("eventSourceARN", Slot::kEventSourceArn),
      O("Sns", &sns),
      S("Type", Slot::kType),
      S("Message", Slot::kMessage),
      S("MessageId", Slot::kSnsMessageId),
      S("detail-type", Slot::kDetailType),
      S("source", Slot::kSource),
      S("account", Slot::kAccount),
      S("region", Slot::kRegion),
      S("time", Slot::kTime),
      S("id", Slot::kId),
      O("bucket", &bucket),
      O("object", &object),
      S("request-id", Slot::kRequestId),
      S("requester", Slot::kRequester),
      S("restore-expiry-time", Slot::kRestoreExpiry),
      S("source-storage-class", Slot::kRestoreClass),
      S("Event", Slot::kTestEvent),
      Node{"Records", Kind::kRecords},
      Node{"detail", Kind::kDetail},
  }};
};

const Schema& TheSchema() {
  static const Schema* schema = new Schema();  // never destroyed: used until exit
  return *schema;
}

void MarkBad(Fields& out, Slot slot) {
  out.bad |= Fields::Bit(slot);
}

// The end of the document being walked, bounding in-place scans of member names. Set by
// WalkDocument for the duration of one walk (one document per thread at a time).
thread_local const char* walk_end = nullptr;

// The content of a JSON string that starts at `p` (just after its opening quote) when it has
// no escapes, read in place: stage 1 has validated UTF-8 and rejected raw control characters,
// so such content is the value. False when there is an escape (then simdjson must unescape).
bool InPlace(const char* p, const char* end, std::string_view* out) {
  for (const char* q = p; q < end; ++q) {
    if (*q == '"') {
      *out = std::string_view(p, static_cast<size_t>(q - p));
      return true;
    }
    if (*q == '\\') return false;
  }
  return false;
}

// Names and string values are read in place when they have no escapes (AWS escapes almost
// nothing): unescaping each one into simdjson's string buffer was a large share of a
// CloudTrail parse.
simdjson::error_code MemberName(od::field& field, std::string_view& out) {
  const char* start = field.key().raw();
  if (walk_end != nullptr && start < walk_end && InPlace(start, walk_end, &out)) {
    return simdjson::SUCCESS;
  }
  return field.unescaped_key().get(out);
}

simdjson::error_code StringValue(od::value& value, std::string_view& out) {
  std::string_view token = value.raw_json_token();  // does not consume the value
  if (!token.empty() && token.front() == '"' &&
      InPlace(token.data() + 1, token.data() + token.size(), &out)) {
    return simdjson::SUCCESS;  // the unread value is skipped by the iterator
  }
  return value.get_string().get(out);
}

Status Walk(od::object& object, const Level& level, Fields& out, const TopHooks* hooks) {
  for (auto member : object) {
    od::field field;
    if (auto e = std::move(member).get(field)) return JsonError(e, "object member");
    std::string_view key;
    if (auto e = MemberName(field, key)) return JsonError(e, "member name");
    const Node* node = level.Find(key);
    if (node == nullptr) continue;  // On Demand skips the unread value
    od::value& value = field.value();
    od::json_type type;
    if (auto e = value.type().get(type)) return JsonError(e, key);
    if (type == od::json_type::null) continue;  // null means absent
    switch (node->kind) {
      case Kind::kString: {
        if (type != od::json_type::string) {
          MarkBad(out, node->slot);
          continue;
        }
        std::string_view s;
        if (auto e = StringValue(value, s)) return JsonError(e, key);
        out.str[static_cast<int>(node->slot)] = s;
        out.present |= Fields::Bit(node->slot);
        break;
      }
      case Kind::kNumber: {
        uint64_t n = 0;
        // Negative, fractional or out-of-range numbers are the wrong type for a size; the
        // failed getter leaves the value in place and the iterator skips it.
        if (type != od::json_type::number || value.get_uint64().get(n) != simdjson::SUCCESS) {
          MarkBad(out, node->slot);
          continue;
        }
        out.size = n;
        out.present |= Fields::Bit(node->slot);
        break;
      }
      case Kind::kObject: {
        if (type != od::json_type::object) continue;  // its slots stay absent
        od::object child;
        if (auto e = value.get_object().get(child)) return JsonError(e, key);
        THAW_RETURN_IF_ERROR(Walk(child, *node->child, out, nullptr));
        break;
      }
      case Kind::kRecords: {
        if (hooks == nullptr || !hooks->on_record) continue;
        if (type != od::json_type::array) {
          return ParseError(ParseErrorKind::kWrongType, "json: \"Records\" is not an array");
        }
        out.has_records = true;
        od::array records;
        if (auto e = value.get_array().get(records)) return JsonError(e, "Records");
        for (auto element : records) {
          od::value record;
          if (auto e = std::move(element).get(record)) return JsonError(e, "Records element");
          od::json_type record_type;
          if (auto e = record.type().get(record_type)) return JsonError(e, "Records element");
          if (record_type != od::json_type::object) {
            THAW_RETURN_IF_ERROR(hooks->on_record(nullptr));  // the iterator skips it
            continue;
          }
          od::object record_object;
          if (auto e = record.get_object().get(record_object)) return JsonError(e, "record");
          Fields fields;
          THAW_RETURN_IF_ERROR(Walk(record_object, level, fields, nullptr));
          THAW_RETURN_IF_ERROR(hooks->on_record(&fields));
        }
        break;
      }
      case Kind::kDetail: {
        if (hooks == nullptr || hooks->detail == nullptr) continue;
        if (type != od::json_type::object) {
          return ParseError(ParseErrorKind::kWrongType, "json: \"detail\" is not an object");
        }
        out.has_detail = true;
        od::object child;
        if (auto e = value.get_object().get(child)) return JsonError(e, key);
        THAW_RETURN_IF_ERROR(Walk(child, level, *hooks->detail, nullptr));
        break;
      }
    }
  }
  return Status::Ok();
}

// Documents up to this size use a parser kept per thread; larger ones get a parser of their
// own so that one 100 MB log file does not pin ~500 MB of buffers to a thread forever.
constexpr size_t kReusedParserMaxBytes = 16u << 20;

}  // namespace

std::string PaddedCopy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + kPadding);
  out.assign(bytes.data(), bytes.size());
  return out;
}

Status WalkDocument(const std::string& padded, size_t max_document_bytes, Fields& top,
                    const TopHooks& hooks) {
  if (padded.size() > max_document_bytes) {
    return ParseError(ParseErrorKind::kTooLarge,
                      "json: document of " + std::to_string(padded.size()) + " bytes is over " +
                          std::to_string(max_document_bytes));
  }
  if (padded.capacity() < padded.size() + kPadding) {
    return Status::Internal("json: input without simdjson padding");
  }
  // Capacities are given to the constructor: simdjson 3.0.1's set_max_capacity() clamps any
  // value to its 32-byte minimum.
  thread_local od::parser reused(kReusedParserMaxBytes);
  std::unique_ptr<od::parser> own;
  od::parser* parser = &reused;
  if (padded.size() > kReusedParserMaxBytes) {
    own = std::make_unique<od::parser>(max_document_bytes);
    parser = own.get();
  }
  od::document doc;
  if (auto e = parser->iterate(padded.data(), padded.size(), padded.capacity()).get(doc)) {
    return JsonError(e, "document");
  }
  od::json_type type;
  if (auto e = doc.type().get(type)) return JsonError(e, "document");
  if (type != od::json_type::object) {
    return ParseError(ParseErrorKind::kUnknownShape, "json: the document is not an object");
  }
  od::object object;
  if (auto e = doc.get_object().get(object)) return JsonError(e, "document");
  walk_end = padded.data() + padded.size();
  Status walked = Walk(object, TheSchema().root, top, &hooks);
  walk_end = nullptr;
  THAW_RETURN_IF_ERROR(walked);
  // simdjson 3.0.1's document has no at_end(): current_location() answers OUT_OF_BOUNDS
  // exactly when every structural character has been consumed.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return ParseError(ParseErrorKind::kBadJson, "json: trailing content after the document");
  }
  return Status::Ok();
}

}  // namespace thaw::events::internal
