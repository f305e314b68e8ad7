// The small text format of the long command descriptions (help_text.cc) and its conversion to
// roff (man pages) and Markdown. The format: paragraphs separated by blank lines; a line starting
// with "- " opens a list item (its continuation lines start with two spaces); lines indented by
// four spaces are an example, shown verbatim; `code` spans. Plain text already reads well in
// `--help`, which prints it as it is.
#pragma once

#include <string>

namespace thaw::cli {

// Escapes text for roff: backslashes, leading dots and quotes, option dashes (\-), and
// characters outside ASCII as \[uXXXX] (groff reads its input as Latin-1 otherwise).
std::string RoffEscape(const std::string& text);

// RoffEscape plus `code` spans in bold.
std::string RoffInline(const std::string& text);

// A whole description as man-page paragraphs (.PP, .IP, .nf/.fi), ending in a newline.
std::string RoffBlocks(const std::string& text);

// The description as Markdown (examples become fenced code blocks), ending in a newline.
std::string MarkdownBlocks(const std::string& text);

}  // namespace thaw::cli
