// XmlWriter: escaping and element helpers for S3's response bodies. Everything written as text
// may be chosen by whoever can write to a bucket (keys, prefixes, metadata, tags, markers), so
// every byte that XML gives a meaning goes out as an entity.
#include "sim/xml_writer.h"

#include <cstdio>

namespace thaw::sim {

std::string XmlEscape(std::string_view s) {
  std::string out;
  AppendXmlEscaped(out, s);
  return out;
}

void AppendXmlEscaped(std::string& out, std::string_view s) {
  // Most text (keys, dates, ETags of a listing) has nothing to escape: copied in one go.
  size_t plain = 0;
  while (plain < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[plain]);
    if (c < 0x20 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'') break;
    ++plain;
  }
  out.append(s.data(), plain);
  s.remove_prefix(plain);
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#13;";  // a literal CR would be normalised away by the reader
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          // Other C0 controls cannot appear raw in an XML document: S3 writes them as numeric
          // references (&#x1;), which lenient readers (pugixml, libxml2 in recover mode) turn
          // back into the byte and strict ones refuse. That is why SDKs list with
          // encoding-type=url, which percent-encodes these keys before they reach the XML.
          char ref[8];
          std::snprintf(ref, sizeof(ref), "&#x%X;", static_cast<unsigned>(c));
          out += ref;
        } else {
          out += c;
        }
    }
  }
}

XmlWriter::XmlWriter(size_t reserve) {
  out_.reserve(reserve);
  out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
}

void XmlWriter::Open(std::string_view name, bool with_ns) {
  out_.append("<").append(name);
  if (with_ns) out_.append(" xmlns=\"").append(kS3Namespace).append("\"");
  out_.append(">");
}

void XmlWriter::Close(std::string_view name) {
  out_.append("</").append(name).append(">");
}

void XmlWriter::Element(std::string_view name, std::string_view text) {
  Open(name);
  AppendXmlEscaped(out_, text);
  Close(name);
}

void XmlWriter::Element(std::string_view name, uint64_t value) {
  Element(name, std::to_string(value));
}

void XmlWriter::Bool(std::string_view name, bool value) {
  Element(name, value ? "true" : "false");
}

}  // namespace thaw::sim
