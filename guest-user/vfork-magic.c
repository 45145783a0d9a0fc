/* Seed 002's forum program. The code below the includes is verbatim, except
 * that the article's typographic quotes are ASCII quotes. The vfork child
 * returns from createproc() and calls printf and exit, overwriting the stack
 * frame that the suspended parent will return through. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int createproc();
int main()
{
pid_t pid=createproc();
printf("%d\n", pid);
exit(0);
}
int createproc()
{
pid_t pid;
if(!(pid=vfork())) {
printf("child proc:%d\n", pid);
return pid;
}
else return -1;
}
