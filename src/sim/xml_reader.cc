// See xml_reader.h.
#include "sim/xml_reader.h"

#include "sim/s3_error.h"

namespace thaw::sim {

Result<pugi::xml_node> LoadXmlBody(pugi::xml_document& doc, std::string_view body,
                                   const char* root) {
  // ws_pcdata_single keeps a whitespace-only text that is an element's only child (<Key> </Key>)
  // without adding the indentation between elements as text nodes.
  constexpr unsigned kFlags = pugi::parse_default | pugi::parse_ws_pcdata_single;
  if (!doc.load_buffer(body.data(), body.size(), kFlags)) return S3Err("MalformedXML");
  pugi::xml_node node = doc.child(root);
  if (!node) return S3Err("MalformedXML");
  return node;
}

}  // namespace thaw::sim
