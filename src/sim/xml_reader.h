// Reading S3's request bodies (DeleteObjects, CompleteMultipartUpload, RestoreObject,
// lifecycle, versioning): one set of pugixml flags for the whole sim, chosen so that values
// arrive as sent. Keys, prefixes and tags may be or hold any whitespace (" ", "\t", "\n"):
// pugixml drops a whitespace-only text by default, which would turn a DeleteObjects of the key
// " " into a delete of "" (reported as done, object kept).
#pragma once

#include <pugixml.hpp>
#include <string_view>

#include "common/status.h"

namespace thaw::sim {

// Parses `body` into `doc` and returns the root element, which must be named `root`
// (MalformedXML otherwise).
Result<pugi::xml_node> LoadXmlBody(pugi::xml_document& doc, std::string_view body,
                                   const char* root);

}  // namespace thaw::sim
