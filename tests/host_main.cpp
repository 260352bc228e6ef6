// main() of test programs that need no GPU.
int sf_run_catch(int argc, char **argv);

int main(int argc, char **argv) { return sf_run_catch(argc, argv); }
