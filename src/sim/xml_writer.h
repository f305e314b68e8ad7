// A small XML writer for S3's response bodies: escaped text, nested elements, the XML
// declaration and S3's namespace on the root. Not thread-safe (one writer per response).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace thaw::sim {

inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

class XmlWriter {
 public:
  // `reserve`: the expected size of the body (a listing's), to build it without regrowing.
  explicit XmlWriter(size_t reserve = 0);
  // Opens <name> (with xmlns=S3's namespace when `with_ns`).
  void Open(std::string_view name, bool with_ns = false);
  void Close(std::string_view name);
  void Element(std::string_view name, std::string_view text);
  void Element(std::string_view name, uint64_t value);
  void Bool(std::string_view name, bool value);
  std::string Finish() { return std::move(out_); }

 private:
  std::string out_;
};

std::string XmlEscape(std::string_view s);
// XmlEscape(s) appended to `out`.
void AppendXmlEscaped(std::string& out, std::string_view s);

}  // namespace thaw::sim
