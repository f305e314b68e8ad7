// One source for every piece of user documentation about the command line: the CLI11
// definitions of the commands (their options, descriptions and footers, src/cli/*_command.cc and
// help_text.cc). `--help` prints them directly; this file turns the same definitions into man
// pages (thaw(1), thaw-mount(1), ...), the Markdown option tables in docs/reference/, and the
// bash and zsh completion scripts, so that none of them can drift from what the binary accepts.
//
// DescribeCli() reads a fully registered CLI::App into plain structs; the Render* functions are
// pure (text in, text out) so tests can call them without a process.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace thaw::cli {

struct OptionDoc {
  std::vector<std::string> spellings;  // "-f", "--foreground"
  std::string value;                   // placeholder for the value ("DURATION"); empty: a flag
  std::string description;
  std::string default_value;  // shown only when the option captured one
};

struct PositionalDoc {
  std::string name;
  std::string description;
  bool required = false;
  bool repeated = false;
};

struct CommandDoc {
  std::string name;     // "mount"; empty for the program itself
  std::string summary;  // one line (CLI11 description)
  std::string details;  // paragraphs (CLI11 footer): blank lines between paragraphs, "- " items,
                        // lines indented by four spaces are examples
  std::vector<PositionalDoc> positionals;
  std::vector<OptionDoc> options;
};

struct CliDoc {
  CommandDoc program;  // thaw itself: global options, program details
  std::vector<CommandDoc> commands;
};

// Every visible command and option of `root` (hidden ones, CLI11 group "", are left out).
CliDoc DescribeCli(const CLI::App& root);

// thaw(1) when `command` is null, else thaw-<name>(1).
std::string RenderManPage(const CliDoc& doc, const CommandDoc* command);

// docs/reference/thaw.md (index and global options) when `command` is null, else
// docs/reference/thaw-<name>.md.
std::string RenderMarkdown(const CliDoc& doc, const CommandDoc* command);

// The option tables of the hand-written pages (docs/*.md), so that they cannot drift from the
// binary either. Each block
//   <!-- thaw:options COMMAND [OPTION ...] -->
//   ...
//   <!-- /thaw:options -->
// of `page` gets, between its two marker lines, the table RenderMarkdown gives COMMAND ("thaw":
// the global options): every option, or the ones named (any spelling, e.g. --tier or -r), in
// the order named. An unknown command or option, or a block left open, is an error naming
// `page_name` and the line; the text outside the blocks is returned unchanged.
Result<std::string> FillOptionTables(const CliDoc& doc, std::string_view page,
                                     const std::string& page_name);

std::string RenderBashCompletion(const CliDoc& doc);
std::string RenderZshCompletion(const CliDoc& doc);

// Long descriptions of the commands (help_text.cc), set as CLI11 footers by ApplyHelpText so
// that `thaw mount --help` shows them too. Empty when a command has none.
const char* LongHelp(const std::string& command);
void ApplyHelpText(CLI::App& root);

// Registers `thaw completion bash|zsh` and the hidden `thaw __doc FORMAT [DIR]` (FORMAT: man,
// markdown, completion-bash, completion-zsh; man and markdown write one file per command into
// DIR, replacing what an earlier run left there; markdown also refreshes the option tables of
// the pages in DIR's parent, docs/, through FillOptionTables).
void RegisterDoc(CLI::App& app);

}  // namespace thaw::cli
