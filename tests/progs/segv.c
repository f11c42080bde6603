/* Dies of a real SIGSEGV, which even PID 1 cannot ignore. */
int main(void)
{
	return *(volatile int *)0;
}
