// XmlWriter: escaping and element helpers for S3's response bodies.
#include "sim/xml_writer.h"

namespace thaw::sim {

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
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
        out += "&#13;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

XmlWriter::XmlWriter() {
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
  out_.append(XmlEscape(text));
  Close(name);
}

void XmlWriter::Element(std::string_view name, uint64_t value) {
  Element(name, std::to_string(value));
}

void XmlWriter::Bool(std::string_view name, bool value) {
  Element(name, value ? "true" : "false");
}

}  // namespace thaw::sim
