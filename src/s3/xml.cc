// S3's XML bodies (see xml.h). Every field follows one rule: an absent element takes its
// default, a present but unparseable one fails the whole document with kDataLoss, because a
// listing that silently drops or zeroes an object would make thaw lose track of it.
#include "s3/xml.h"

#include <limits>
#include <pugixml.hpp>
#include <sstream>

#include "common/strings.h"
#include "common/time_format.h"

namespace thaw::s3 {
namespace {

// ws_pcdata_single keeps a whitespace-only text that is an element's only child: " " is a
// valid key. parse_fragment keeps top-level text as nodes (pugixml drops it otherwise) so that
// LoadRoot can refuse it.
constexpr unsigned kParseOptions =
    pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_fragment;

Status Malformed(std::string_view what, std::string_view why) {
  return Status::DataLoss(std::string(what) + " response: " + std::string(why));
}

// Parses `body` into `doc` and returns its root element, which must be named `root`.
Result<pugi::xml_node> LoadRoot(std::string_view body, std::string_view what, const char* root,
                                pugi::xml_document& doc) {
  if (Trim(body).empty()) return Malformed(what, "empty body");
  pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size(), kParseOptions);
  if (!parsed) {
    return Malformed(what, "malformed XML at byte " + std::to_string(parsed.offset) + ": " +
                               parsed.description());
  }
  // pugixml accepts text and several elements at the top level; XML allows one root only.
  int elements = 0;
  for (pugi::xml_node n : doc.children()) {
    if (n.type() == pugi::node_element) ++elements;
    if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
      return Malformed(what, "text outside the root element");
    }
  }
  if (elements > 1) return Malformed(what, "more than one root element");
  pugi::xml_node element = doc.document_element();
  if (std::string_view(element.name()) != root) {
    std::string got = element ? "<" + std::string(element.name()) + ">" : "no element";
    return Malformed(what, "expected <" + std::string(root) + ">, got " + got);
  }
  return element;
}

std::string Quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// Boolean child `name` of `node`: "true"/"false" (S3 writes lower case).
Result<std::optional<bool>> ChildBool(pugi::xml_node node, const char* name) {
  pugi::xml_node child = node.child(name);
  if (!child) return std::optional<bool>();
  std::string v = ToLower(Trim(child.text().get()));
  if (v == "true") return std::optional<bool>(true);
  if (v == "false") return std::optional<bool>(false);
  return Status::DataLoss(std::string(name) + " " + Quote(child.text().get()) +
                          " is not a boolean");
}

Result<std::optional<Clock::TimePoint>> ChildTime(pugi::xml_node node, const char* name) {
  pugi::xml_node child = node.child(name);
  if (!child) return std::optional<Clock::TimePoint>();
  auto t = ParseIso8601(child.text().get());
  if (!t) {
    return Status::DataLoss(std::string(name) + " " + Quote(child.text().get()) +
                            " is not an ISO 8601 time");
  }
  return std::optional<Clock::TimePoint>(*t);
}

// Text of an element that S3 URL-encodes under EncodingType=url. S3 writes a space as '+'
// (and '+' as %2B); botocore decodes these fields with unquote_plus, and so do we.
Result<std::string> KeyText(pugi::xml_node node, bool url_encoded) {
  std::string_view raw = node.text().get();
  if (!url_encoded) return std::string(raw);
  auto decoded = UriDecode(raw, /*plus_is_space=*/true);
  if (!decoded) {
    return Status::DataLoss(std::string(node.name()) + " " + Quote(raw) +
                            " is not valid URL encoding");
  }
  return *std::move(decoded);
}

// IsRestoreInProgress=true is a running restore; false with RestoreExpiryDate a restored copy;
// false alone a finished restore whose expiry S3 did not say (as for x-amz-restore).
Result<RestoreStatus> ParseRestoreStatus(pugi::xml_node node) {
  THAW_ASSIGN_OR_RETURN(std::optional<bool> in_progress, ChildBool(node, "IsRestoreInProgress"));
  THAW_ASSIGN_OR_RETURN(std::optional<Clock::TimePoint> expiry,
                        ChildTime(node, "RestoreExpiryDate"));
  RestoreStatus status;
  if (in_progress.value_or(false)) {
    status.state = RestoreStatus::State::kOngoing;
  } else if (in_progress || expiry) {
    status.state = RestoreStatus::State::kRestored;
    status.expiry = expiry;
  }
  return status;
}

Result<ObjectSummary> ParseContents(pugi::xml_node node, bool url_encoded) {
  ObjectSummary o;
  pugi::xml_node key = node.child("Key");
  if (!key) return Status::DataLoss("entry without <Key>");
  THAW_ASSIGN_OR_RETURN(o.key, KeyText(key, url_encoded));
  if (pugi::xml_node size = node.child("Size")) {
    auto v = ParseUint64(Trim(size.text().get()));
    if (!v) return Status::DataLoss("Size " + Quote(size.text().get()) + " is not a number");
    o.size = *v;
  }
  THAW_ASSIGN_OR_RETURN(std::optional<Clock::TimePoint> modified, ChildTime(node, "LastModified"));
  if (modified) o.last_modified = *modified;
  o.etag = node.child_value("ETag");
  std::string_view storage_class = Trim(node.child_value("StorageClass"));
  if (!storage_class.empty()) o.storage_class = std::string(storage_class);
  if (pugi::xml_node restore = node.child("RestoreStatus")) {
    THAW_ASSIGN_OR_RETURN(o.restore, ParseRestoreStatus(restore));
  }
  return o;
}

// KeyCount when present, else what the page holds (S3 counts keys and common prefixes).
Result<int> ParseKeyCount(pugi::xml_node root, const ListObjectsPage& page) {
  pugi::xml_node node = root.child("KeyCount");
  if (!node) return static_cast<int>(page.objects.size() + page.common_prefixes.size());
  auto v = ParseInt64(Trim(node.text().get()));
  if (!v || *v < 0 || *v > std::numeric_limits<int>::max()) {
    return Status::DataLoss("KeyCount " + Quote(node.text().get()) + " is not a count");
  }
  return static_cast<int>(*v);
}

}  // namespace

std::optional<ErrorBody> ParseErrorBody(std::string_view body) {
  if (Trim(body).empty()) return std::nullopt;
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size(), kParseOptions)) return std::nullopt;
  pugi::xml_node error = doc.document_element();
  // S3 writes <Error> at the root; query-protocol services (and some S3 look-alikes) wrap it
  // in <ErrorResponse>.
  if (std::string_view(error.name()) == "ErrorResponse") error = error.child("Error");
  if (!error || std::string_view(error.name()) != "Error") return std::nullopt;
  ErrorBody e;
  e.code = std::string(Trim(error.child_value("Code")));
  e.message = std::string(Trim(error.child_value("Message")));
  e.request_id = std::string(Trim(error.child_value("RequestId")));
  e.resource = error.child_value("Resource");
  e.storage_class = std::string(Trim(error.child_value("StorageClass")));
  e.access_tier = std::string(Trim(error.child_value("AccessTier")));
  return e;
}

Result<ListObjectsPage> ParseListObjectsV2(std::string_view body) {
  constexpr std::string_view kWhat = "ListObjectsV2";
  pugi::xml_document doc;
  THAW_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(body, kWhat, "ListBucketResult", doc));
  bool url_encoded = EqualsIgnoreCase(Trim(root.child_value("EncodingType")), "url");
  ListObjectsPage page;
  for (pugi::xml_node contents : root.children("Contents")) {
    Result<ObjectSummary> o = ParseContents(contents, url_encoded);
    if (!o.ok()) {
      return Malformed(
          kWhat, "entry " + std::to_string(page.objects.size() + 1) + ": " + o.status().message());
    }
    page.objects.push_back(*std::move(o));
  }
  for (pugi::xml_node cp : root.children("CommonPrefixes")) {
    Result<std::string> prefix = KeyText(cp.child("Prefix"), url_encoded);
    if (!prefix.ok()) return Malformed(kWhat, prefix.status().message());
    page.common_prefixes.push_back(*std::move(prefix));
  }
  Result<std::optional<bool>> truncated = ChildBool(root, "IsTruncated");
  if (!truncated.ok()) return Malformed(kWhat, truncated.status().message());
  page.is_truncated = truncated->value_or(false);
  page.next_continuation_token = root.child_value("NextContinuationToken");
  Result<int> key_count = ParseKeyCount(root, page);
  if (!key_count.ok()) return Malformed(kWhat, key_count.status().message());
  page.key_count = *key_count;
  if (page.is_truncated && page.next_continuation_token.empty()) {
    // Following such a page would restart the listing from the top forever.
    return Malformed(kWhat, "IsTruncated is true but NextContinuationToken is missing");
  }
  return page;
}

std::string BuildRestoreRequestXml(RestoreTier tier, std::optional<int> days) {
  // No top-level <Tier>: S3 rejects a request that has both it and GlacierJobParameters/Tier.
  std::string xml = "<RestoreRequest>";
  if (days) xml += "<Days>" + std::to_string(*days) + "</Days>";
  xml += "<GlacierJobParameters><Tier>";
  xml += RestoreTierName(tier);
  xml += "</Tier></GlacierJobParameters></RestoreRequest>";
  return xml;
}

Result<std::vector<std::string>> ParseListBuckets(std::string_view body) {
  constexpr std::string_view kWhat = "ListBuckets";
  pugi::xml_document doc;
  THAW_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(body, kWhat, "ListAllMyBucketsResult", doc));
  std::vector<std::string> names;
  for (pugi::xml_node bucket : root.child("Buckets").children("Bucket")) {
    std::string_view name = Trim(bucket.child_value("Name"));
    if (name.empty()) return Malformed(kWhat, "bucket without <Name>");
    names.emplace_back(name);
  }
  return names;
}

Result<std::string> ParseInitiateMultipartUpload(std::string_view body) {
  constexpr std::string_view kWhat = "CreateMultipartUpload";
  pugi::xml_document doc;
  THAW_ASSIGN_OR_RETURN(pugi::xml_node root,
                        LoadRoot(body, kWhat, "InitiateMultipartUploadResult", doc));
  std::string_view id = Trim(root.child_value("UploadId"));
  if (id.empty()) return Malformed(kWhat, "no <UploadId>");
  return std::string(id);
}

std::string BuildCompleteMultipartUploadXml(const std::vector<CompletedPart>& parts) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  for (const CompletedPart& p : parts) {
    pugi::xml_node part = root.append_child("Part");
    part.append_child("PartNumber").text().set(p.part_number);
    part.append_child("ETag").text().set(p.etag.c_str());
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

Result<std::string> ParseCompleteMultipartUpload(std::string_view body) {
  constexpr std::string_view kWhat = "CompleteMultipartUpload";
  pugi::xml_document doc;
  // S3 names the root ...Result; moto (and botocore, which ignores the name) ...Response.
  const char* name = body.find("<CompleteMultipartUploadResponse") != std::string_view::npos
                         ? "CompleteMultipartUploadResponse"
                         : "CompleteMultipartUploadResult";
  THAW_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(body, kWhat, name, doc));
  std::string_view etag = Trim(root.child_value("ETag"));
  if (etag.empty()) return Malformed(kWhat, "no <ETag>");
  return std::string(etag);
}

}  // namespace thaw::s3
