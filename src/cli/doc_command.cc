// `thaw completion bash|zsh` and the hidden `thaw __doc FORMAT [DIR]` that the build runs to
// write build/man/*.1 and build/completion/thaw.bash, and that regenerates docs/reference/ and
// the option tables of the other pages in docs/ (see doc_gen.h).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/commands.h"
#include "cli/doc_gen.h"

namespace thaw::cli {
namespace {

namespace stdfs = std::filesystem;

// Writes one file per page into `dir`, removing pages an earlier run left (a command that no
// longer exists must not keep its page).
int WritePages(const std::string& dir, const std::string& extension,
               const std::vector<std::pair<std::string, std::string>>& pages) {
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "thaw: __doc: cannot create " << dir << ": " << ec.message() << "\n";
    return kExitFailure;
  }
  for (const auto& entry : stdfs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("thaw", 0) == 0 && entry.path().extension() == extension) {
      stdfs::remove(entry.path(), ec);
    }
  }
  for (const auto& [name, text] : pages) {
    stdfs::path path = stdfs::path(dir) / (name + extension);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      std::cerr << "thaw: __doc: cannot write " << path.string() << "\n";
      return kExitFailure;
    }
  }
  return kExitOk;
}

// The hand-written pages beside the reference (docs/*.md next to docs/reference/) whose option
// tables are generated (FillOptionTables). Rewritten only when something changed.
int RefreshOptionTables(const CliDoc& doc, const std::string& reference_dir) {
  std::error_code ec;
  stdfs::path docs = stdfs::absolute(reference_dir, ec).lexically_normal().parent_path();
  if (docs.filename().empty()) docs = docs.parent_path();  // "docs/reference/"
  for (const auto& entry : stdfs::directory_iterator(docs, ec)) {
    if (entry.path().extension() != ".md" || !entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("<!-- thaw:options ") == std::string::npos) continue;
    Result<std::string> filled = FillOptionTables(doc, text, entry.path().string());
    if (!filled.ok()) {
      std::cerr << "thaw: __doc: " << filled.status().message() << "\n";
      return kExitUsage;
    }
    if (*filled == text) continue;
    std::ofstream out(entry.path(), std::ios::binary | std::ios::trunc);
    out << *filled;
    if (!out.flush()) {
      std::cerr << "thaw: __doc: cannot write " << entry.path().string() << "\n";
      return kExitFailure;
    }
    std::cerr << "thaw: __doc: option tables refreshed in " << entry.path().string() << "\n";
  }
  return kExitOk;
}

int RunDoc(const CLI::App& root, const std::string& format, const std::string& dir) {
  CliDoc doc = DescribeCli(root);
  if (format == "completion-bash") {
    std::cout << RenderBashCompletion(doc);
    return kExitOk;
  }
  if (format == "completion-zsh") {
    std::cout << RenderZshCompletion(doc);
    return kExitOk;
  }
  if (format != "man" && format != "markdown") {
    std::cerr << "thaw: __doc: unknown format " << format
              << " (man, markdown, completion-bash, completion-zsh)\n";
    return kExitUsage;
  }
  if (dir.empty()) {
    std::cerr << "thaw: __doc: " << format << " needs an output directory\n";
    return kExitUsage;
  }
  bool man = format == "man";
  auto render = [&](const CommandDoc* c) {
    return man ? RenderManPage(doc, c) : RenderMarkdown(doc, c);
  };
  std::vector<std::pair<std::string, std::string>> pages = {{"thaw", render(nullptr)}};
  for (const CommandDoc& c : doc.commands) pages.emplace_back("thaw-" + c.name, render(&c));
  int rc = WritePages(dir, man ? ".1" : ".md", pages);
  if (rc != kExitOk || man) return rc;
  return RefreshOptionTables(doc, dir);
}

}  // namespace

void RegisterDoc(CLI::App& app) {
  auto shell = std::make_shared<std::string>();
  CLI::App* completion = app.add_subcommand("completion", "print a shell completion script");
  completion->add_option("shell", *shell, "bash or zsh")->required();
  completion->callback([shell, &app] {
    if (*shell != "bash" && *shell != "zsh") {
      std::cerr << "thaw: completion: unknown shell " << *shell << " (bash or zsh)\n";
      throw CLI::RuntimeError(kExitUsage);
    }
    throw CLI::RuntimeError(RunDoc(app, "completion-" + *shell, ""));
  });

  auto format = std::make_shared<std::string>();
  auto dir = std::make_shared<std::string>();
  CLI::App* doc = app.add_subcommand("__doc", "write man pages, Markdown or completion scripts");
  doc->group("");  // for the build and the tests, not for users
  doc->add_option("format", *format, "man, markdown, completion-bash or completion-zsh")
      ->required();
  doc->add_option("dir", *dir, "output directory (man, markdown)");
  doc->callback([format, dir, &app] { throw CLI::RuntimeError(RunDoc(app, *format, *dir)); });
}

}  // namespace thaw::cli
