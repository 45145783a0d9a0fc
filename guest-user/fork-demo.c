/* Seed 000's program, verbatim but for "\n" (the article printed "/n"):
 * after fork() both processes continue at the same instruction, and only the
 * return value tells them apart. */
#include<stdio.h>

#include<unistd.h>

int main()

{

        pid_t pid;

        if((pid=fork())>0)

        {

                printf("parent\n");

        }

        else if(pid==0)

        {

                printf("child\n");

        }

        else

                printf("error\n");

        return 0;

}
