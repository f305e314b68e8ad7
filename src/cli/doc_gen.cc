// Reads the CLI11 definitions into CliDoc and renders man pages and Markdown (see doc_gen.h).
// The completion scripts are rendered in doc_completion.cc.
#include "cli/doc_gen.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "cli/doc_text.h"
#include "common/strings.h"

namespace thaw::cli {
namespace {

// CLI11's own type names say little ("TEXT"); an option without a better one is shown with its
// name as the placeholder, as argparse does (`--cache-dir CACHE_DIR`).
const std::set<std::string> kGenericTypeNames = {"TEXT",    "INT",    "UINT", "FLOAT",
                                                 "BOOLEAN", "NUMBER", "ENUM"};

std::string Placeholder(const CLI::Option& opt) {
  std::string type = opt.get_type_name();
  if (!kGenericTypeNames.count(type)) return type;
  std::string name = opt.get_lnames().empty() ? opt.get_snames().front() : opt.get_lnames().front();
  std::string out;
  for (char c : name) out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

bool IsHidden(const CLI::Option& opt) {
  return opt.get_group().empty();
}

CommandDoc DescribeCommand(const CLI::App& app, const std::string& name) {
  CommandDoc doc;
  doc.name = name;
  doc.summary = app.get_description();
  doc.details = app.get_footer();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt == app.get_help_ptr() || IsHidden(*opt)) continue;
    if (!opt->nonpositional()) {
      PositionalDoc p;
      p.name = opt->get_name();
      p.description = opt->get_description();
      p.required = opt->get_required();
      p.repeated = opt->get_items_expected_max() > 1;
      doc.positionals.push_back(std::move(p));
      continue;
    }
    OptionDoc o;
    for (const std::string& s : opt->get_snames()) o.spellings.push_back("-" + s);
    for (const std::string& l : opt->get_lnames()) o.spellings.push_back("--" + l);
    // Long spellings first: they are what the documentation uses.
    std::stable_sort(o.spellings.begin(), o.spellings.end(),
                     [](const std::string& a, const std::string& b) {
                       return (a.rfind("--", 0) == 0) > (b.rfind("--", 0) == 0);
                     });
    // As CLI11's own help: a flag has no type name, so no value.
    if (opt->get_type_size() != 0 && !opt->get_type_name().empty() &&
        opt != app.get_version_ptr()) {
      o.value = Placeholder(*opt);
    }
    o.description = opt->get_description();
    o.default_value = opt->get_default_str();
    doc.options.push_back(std::move(o));
  }
  return doc;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string PageName(const CommandDoc* c) {
  return c ? "thaw-" + c->name : "thaw";
}

std::string Capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  if (!s.empty() && s.back() != '.') s += '.';
  return s;
}

std::string Synopsis(const CommandDoc* c) {
  std::string s = c ? "thaw " + c->name + " [OPTIONS]" : "thaw [OPTIONS] COMMAND [ARGS]";
  if (!c) return s;
  for (const PositionalDoc& p : c->positionals) {
    std::string n = Upper(p.name) + (p.repeated ? "..." : "");
    s += " " + (p.required ? n : "[" + n + "]");
  }
  return s;
}

// ---- man pages ----

std::string ManOptionHead(const OptionDoc& o) {
  std::string out;
  for (size_t i = 0; i < o.spellings.size(); ++i) {
    if (i) out += ", ";
    out += "\\fB" + RoffEscape(o.spellings[i]) + "\\fR";
  }
  if (!o.value.empty()) out += " \\fI" + RoffEscape(o.value) + "\\fR";
  return out;
}

std::string ManOptionBody(const OptionDoc& o) {
  std::string text = o.description;
  if (!o.default_value.empty()) text += " (default: `" + o.default_value + "`)";
  return RoffInline(text);
}

void ManOptions(std::ostringstream& out, const std::vector<OptionDoc>& options) {
  for (const OptionDoc& o : options) {
    out << ".TP\n" << ManOptionHead(o) << "\n" << ManOptionBody(o) << "\n";
  }
}

std::string JoinSpellings(const std::vector<OptionDoc>& options) {
  std::string out;
  for (const OptionDoc& o : options) {
    if (!out.empty()) out += ", ";
    out += "`" + o.spellings.front() + "`";
  }
  return out;
}

// ---- Markdown ----

std::string MdCell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string MdOptionName(const OptionDoc& o) {
  std::string out;
  for (size_t i = 0; i < o.spellings.size(); ++i) {
    if (i) out += ", ";
    out += "`" + o.spellings[i] + (o.value.empty() ? "" : " " + o.value) + "`";
  }
  return out;
}

void MdOptions(std::ostringstream& out, const std::vector<OptionDoc>& options) {
  out << "| option | meaning | default |\n|---|---|---|\n";
  for (const OptionDoc& o : options) {
    out << "| " << MdCell(MdOptionName(o)) << " | " << MdCell(o.description) << " | "
        << (o.default_value.empty() ? "" : "`" + MdCell(o.default_value) + "`") << " |\n";
  }
}

const char kTableOpen[] = "<!-- thaw:options ";
const char kTableClose[] = "<!-- /thaw:options -->";

// The options of one marker line: "restore --tier --days" -> restore's --tier and --days.
Result<std::vector<OptionDoc>> SelectOptions(const CliDoc& doc, const std::string& spec,
                                             const std::string& where) {
  std::vector<std::string> words;
  for (const std::string& w : Split(spec, ' ')) {
    if (!w.empty()) words.push_back(w);
  }
  if (words.empty()) return Status::InvalidArgument(where + ": thaw:options names no command");
  const CommandDoc* cmd = words[0] == "thaw" ? &doc.program : nullptr;
  for (const CommandDoc& c : doc.commands) {
    if (c.name == words[0]) cmd = &c;
  }
  if (cmd == nullptr) {
    return Status::InvalidArgument(where + ": no command '" + words[0] + "'");
  }
  if (words.size() == 1) return cmd->options;
  std::vector<OptionDoc> out;
  for (size_t i = 1; i < words.size(); ++i) {
    auto it = std::find_if(cmd->options.begin(), cmd->options.end(), [&](const OptionDoc& o) {
      return std::find(o.spellings.begin(), o.spellings.end(), words[i]) != o.spellings.end();
    });
    if (it == cmd->options.end()) {
      std::string name = cmd == &doc.program ? "thaw" : "thaw " + cmd->name;
      return Status::InvalidArgument(where + ": `" + name + "` has no option " + words[i]);
    }
    out.push_back(*it);
  }
  return out;
}

}  // namespace

Result<std::string> FillOptionTables(const CliDoc& doc, std::string_view page,
                                     const std::string& page_name) {
  std::vector<std::string> lines = Split(page, '\n');
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    out += line;
    if (i + 1 < lines.size()) out += '\n';
    std::string_view head = Trim(line);
    if (!StartsWith(head, kTableOpen)) continue;
    std::string where = page_name + ":" + std::to_string(i + 1);
    if (head.size() < 3 || head.substr(head.size() - 3) != "-->") {
      return Status::InvalidArgument(where + ": thaw:options marker does not end with -->");
    }
    std::string spec(
        head.substr(sizeof(kTableOpen) - 1, head.size() - 3 - (sizeof(kTableOpen) - 1)));
    THAW_ASSIGN_OR_RETURN(std::vector<OptionDoc> options, SelectOptions(doc, spec, where));
    size_t close = i + 1;
    while (close < lines.size() && Trim(lines[close]) != kTableClose) {
      if (StartsWith(Trim(lines[close]), kTableOpen)) break;
      ++close;
    }
    if (close >= lines.size() || Trim(lines[close]) != kTableClose) {
      return Status::InvalidArgument(where + ": thaw:options block has no " +
                                     std::string(kTableClose));
    }
    std::ostringstream table;
    MdOptions(table, options);
    out += table.str();
    i = close - 1;  // the closing marker is copied by the next round
  }
  return out;
}

CliDoc DescribeCli(const CLI::App& root) {
  CliDoc doc;
  doc.program = DescribeCommand(root, "");
  for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue;  // hidden (`__doc`)
    doc.commands.push_back(DescribeCommand(*sub, sub->get_name()));
  }
  return doc;
}

std::string RenderManPage(const CliDoc& doc, const CommandDoc* c) {
  const CommandDoc& cmd = c ? *c : doc.program;
  std::ostringstream out;
  out << ".\\\" Generated by `thaw __doc man` from the command definitions; do not edit.\n";
  out << ".TH " << RoffEscape(Upper(PageName(c))) << " 1 \"\" \"thaw\" \"thaw manual\"\n";
  out << ".SH NAME\n" << RoffEscape(PageName(c)) << " \\- " << RoffInline(cmd.summary) << "\n";
  out << ".SH SYNOPSIS\n.B " << RoffEscape(Synopsis(c)) << "\n";
  out << ".SH DESCRIPTION\n";
  if (c) out << RoffInline(Capitalized(cmd.summary)) << "\n";
  if (!cmd.details.empty()) out << (c ? ".PP\n" : "") << RoffBlocks(cmd.details);
  if (!c) {
    out << ".SH COMMANDS\n";
    for (const CommandDoc& sub : doc.commands) {
      out << ".TP\n\\fB" << RoffEscape(sub.name) << "\\fR\n"
          << RoffInline(sub.summary) << "; see \\fB" << RoffEscape(PageName(&sub)) << "\\fR(1).\n";
    }
  }
  if (!cmd.positionals.empty()) {
    out << ".SH ARGUMENTS\n";
    for (const PositionalDoc& p : cmd.positionals) {
      out << ".TP\n\\fI" << RoffEscape(Upper(p.name)) << "\\fR\n"
          << RoffInline(p.description) << "\n";
    }
  }
  out << (c ? ".SH OPTIONS\n" : ".SH GLOBAL OPTIONS\n");
  if (!c) {
    out << "These options are accepted by every command, before or after its name.\n";
  }
  ManOptions(out, cmd.options);
  if (c) {
    out << ".PP\n"
        << RoffInline("The global options of thaw(1) apply too: " +
                      JoinSpellings(doc.program.options) + ".")
        << "\n";
  }
  out << ".SH SEE ALSO\n";
  if (c) {
    out << ".BR thaw (1)\n";
  } else {
    for (size_t i = 0; i < doc.commands.size(); ++i) {
      out << ".BR " << RoffEscape(PageName(&doc.commands[i])) << " (1)"
          << (i + 1 < doc.commands.size() ? "," : "") << "\n";
    }
  }
  out << ".PP\nThe user guide: docs/ in the thaw source tree.\n";
  return out.str();
}

std::string RenderMarkdown(const CliDoc& doc, const CommandDoc* c) {
  const CommandDoc& cmd = c ? *c : doc.program;
  std::ostringstream out;
  out << "<!-- Generated by `thaw __doc markdown docs/reference` from the command definitions "
         "(src/cli); do not edit. -->\n\n";
  out << "# " << (c ? "thaw " + c->name : std::string("thaw")) << "\n\n";
  out << Capitalized(cmd.summary) << "\n\n```\n" << Synopsis(c) << "\n```\n\n";
  if (!cmd.details.empty()) out << MarkdownBlocks(cmd.details) << "\n";
  if (!c) {
    out << "## Commands\n\n| command | what it does |\n|---|---|\n";
    for (const CommandDoc& sub : doc.commands) {
      out << "| [`thaw " << sub.name << "`](" << PageName(&sub) << ".md) | " << MdCell(sub.summary)
          << " |\n";
    }
    out << "\n";
  }
  if (!cmd.positionals.empty()) {
    out << "## Arguments\n\n| argument | meaning |\n|---|---|\n";
    for (const PositionalDoc& p : cmd.positionals) {
      out << "| `" << Upper(p.name) << "` | " << MdCell(p.description)
          << (p.required ? "" : " (optional)") << " |\n";
    }
    out << "\n";
  }
  out << (c ? "## Options\n\n"
            : "## Global options\n\nAccepted by every command, before or after its name.\n\n");
  MdOptions(out, cmd.options);
  if (c) out << "\nThe [global options](thaw.md#global-options) apply too.\n";
  return out.str();
}

}  // namespace thaw::cli
