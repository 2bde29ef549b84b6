// dsplan entry point: everything happens in dsplan::cli::run.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "cli/run.hpp"
#include "cli/startup.hpp"

int main(int argc, char** argv) {
  // A reader that closes the pipe early (| head) is a failed write, exit 2 as documented, not a
  // SIGPIPE death (exit 141).
  std::signal(SIGPIPE, SIG_IGN);
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  dsplan::cli::reserve_heap(dsplan::cli::command_word(args));
  return dsplan::cli::run(args, std::cout, std::cerr, dsplan::cli::env_from_process());
}
