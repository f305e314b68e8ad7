// Conversion of the long-description format to roff and Markdown (see doc_text.h).
#include "cli/doc_text.h"

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <vector>

namespace thaw::cli {
namespace {

enum class BlockKind { kParagraph, kItem, kExample };

struct Block {
  BlockKind kind;
  std::vector<std::string> lines;
};

bool StartsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

std::vector<Block> ParseBlocks(const std::string& text) {
  std::vector<Block> blocks;
  std::istringstream in(text);
  std::string line;
  bool open = false;  // the last block may take more lines
  while (std::getline(in, line)) {
    if (line.find_first_not_of(' ') == std::string::npos) {
      open = false;
      continue;
    }
    if (StartsWith(line, "    ")) {
      if (!(open && blocks.back().kind == BlockKind::kExample)) {
        blocks.push_back({BlockKind::kExample, {}});
      }
      blocks.back().lines.push_back(line.substr(4));
    } else if (StartsWith(line, "- ")) {
      blocks.push_back({BlockKind::kItem, {line.substr(2)}});
    } else if (open && blocks.back().kind != BlockKind::kExample) {
      blocks.back().lines.push_back(StartsWith(line, "  ") ? line.substr(2) : line);
    } else {
      blocks.push_back({BlockKind::kParagraph, {line}});
    }
    open = true;
  }
  return blocks;
}

// Appends the roff form of one UTF-8 sequence starting at s[i]; returns its length.
size_t AppendNonAscii(const std::string& s, size_t i, std::string& out) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (i + len > s.size()) len = 1;
  uint32_t cp = len == 1 ? 0xFFFD : c & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\[u%04X]", cp);
  out += buf;
  return len;
}

// `inline_code`: backtick spans become bold. Dashes that start an option (after a space, an
// opening bracket or the line start, or inside code) are minus signs, so that `man` shows and
// searches them as the ASCII character.
std::string Roff(const std::string& text, bool inline_code) {
  std::string out;
  bool in_code = false;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      i += AppendNonAscii(text, i, out);
      continue;
    }
    if (c == '`' && inline_code) {
      out += in_code ? "\\fR" : "\\fB";
      in_code = !in_code;
    } else if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      char prev = i ? text[i - 1] : ' ';
      bool option_dash = in_code || prev == ' ' || prev == '(' || prev == '[' || prev == '-' ||
                         prev == '\n' || prev == '`';
      out += option_dash ? "\\-" : "-";
    } else {
      out += c;
    }
    // A line may not start with a control character.
    if ((c == '\n') && i + 1 < text.size() && (text[i + 1] == '.' || text[i + 1] == '\'')) {
      out += "\\&";
    }
    ++i;
  }
  if (in_code) out += "\\fR";
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

}  // namespace

std::string RoffEscape(const std::string& text) {
  return Roff(text, false);
}

std::string RoffInline(const std::string& text) {
  return Roff(text, true);
}

std::string RoffBlocks(const std::string& text) {
  std::string out;
  bool first = true;
  for (const Block& b : ParseBlocks(text)) {
    switch (b.kind) {
      case BlockKind::kParagraph:
        out += first ? "" : ".PP\n";
        out += RoffInline(Join(b.lines)) + "\n";
        break;
      case BlockKind::kItem:
        out += ".IP \\(bu 2\n" + RoffInline(Join(b.lines)) + "\n";
        break;
      case BlockKind::kExample:
        out += ".PP\n.RS 4\n.nf\n";
        for (const std::string& l : b.lines) out += RoffEscape(l) + "\n";
        out += ".fi\n.RE\n";
        break;
    }
    first = false;
  }
  return out;
}

std::string MarkdownBlocks(const std::string& text) {
  std::string out;
  BlockKind last = BlockKind::kParagraph;
  bool first = true;
  for (const Block& b : ParseBlocks(text)) {
    // Items of one list stay together; everything else is set apart by a blank line.
    if (!first && !(b.kind == BlockKind::kItem && last == BlockKind::kItem)) out += "\n";
    switch (b.kind) {
      case BlockKind::kParagraph:
        out += Join(b.lines) + "\n";
        break;
      case BlockKind::kItem: {
        std::string item = "- ";
        for (size_t i = 0; i < b.lines.size(); ++i) item += (i ? "\n  " : "") + b.lines[i];
        out += item + "\n";
        break;
      }
      case BlockKind::kExample:
        out += "```\n" + Join(b.lines) + "\n```\n";
        break;
    }
    last = b.kind;
    first = false;
  }
  return out;
}

}  // namespace thaw::cli
