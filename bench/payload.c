/* The thing every launcher runs: exits at once, so the time measured is the
 * launcher's own overhead plus one static exec. */
int main(void) { return 0; }
