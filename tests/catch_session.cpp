// The Catch2 runner, v2 or v3; test mains call sf_run_catch.
#if __has_include(<catch2/catch_session.hpp>)
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

int sf_run_catch(int argc, char **argv) { return Catch::Session().run(argc, argv); }
