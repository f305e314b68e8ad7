// S3's XML bodies: parsing responses (listings, errors) and building request bodies
// (RestoreRequest). pugixml underneath; every parser returns a typed error on malformed or
// truncated input and never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "s3/types.h"

namespace thaw::s3 {

struct ErrorBody {
  std::string code;
  std::string message;
  std::string request_id;
  std::string resource;
  std::string storage_class;
  std::string access_tier;
};

// Parses `<Error><Code>..</Code><Message>..</Message>...</Error>`. Returns nullopt when the
// body is empty or not an S3 error document.
std::optional<ErrorBody> ParseErrorBody(std::string_view body);

// Parses a ListObjectsV2 result (ListBucketResult). Keys are URL-decoded when the response says
// EncodingType=url. RestoreStatus elements fill ObjectSummary::restore.
Result<ListObjectsPage> ParseListObjectsV2(std::string_view body);

// <RestoreRequest><Days>N</Days><GlacierJobParameters><Tier>T</Tier></GlacierJobParameters>
// </RestoreRequest>; Days omitted when not given (Intelligent-Tiering).
std::string BuildRestoreRequestXml(RestoreTier tier, std::optional<int> days);

// The UploadId of CreateMultipartUpload's InitiateMultipartUploadResult (never empty).
Result<std::string> ParseInitiateMultipartUpload(std::string_view body);

// <CompleteMultipartUpload><Part><PartNumber>N</PartNumber><ETag>"..."</ETag></Part>...
std::string BuildCompleteMultipartUploadXml(const std::vector<CompletedPart>& parts);

// The ETag of CompleteMultipartUploadResult (never empty).
Result<std::string> ParseCompleteMultipartUpload(std::string_view body);

// Parses the <Buckets> of ListBuckets into names.
Result<std::vector<std::string>> ParseListBuckets(std::string_view body);

}  // namespace thaw::s3
