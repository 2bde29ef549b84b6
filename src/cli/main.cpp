// dsplan entry point: everything happens in dsplan::cli::run.
#include <iostream>
#include <string>
#include <vector>

#include "cli/run.hpp"
#include "cli/startup.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  dsplan::cli::reserve_heap(dsplan::cli::command_word(args));
  return dsplan::cli::run(args, std::cout, std::cerr, dsplan::cli::env_from_process());
}
