// STREAM-style memory bandwidth of this machine, for the household pass's roofline
// (BENCHMARKS.md). Build: gcc -O3 -march=native -fopenmp benches/triad.c -o /tmp/triad
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <omp.h>
#define N (64*1024*1024)
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  double *a=malloc(N*8),*b=malloc(N*8),*c=malloc(N*8);
  #pragma omp parallel for
  for(long i=0;i<N;i++){a[i]=1;b[i]=2;c[i]=0;}
  double best=1e9, bestc=1e9;
  for(int r=0;r<8;r++){
    double t=now();
    #pragma omp parallel for
    for(long i=0;i<N;i++) a[i]=b[i]+3.0*c[i];
    t=now()-t; if(t<best)best=t;
    t=now();
    #pragma omp parallel for
    for(long i=0;i<N;i++) c[i]=b[i];
    t=now()-t; if(t<bestc)bestc=t;
  }
  printf("threads %d triad %.1f GB/s copy %.1f GB/s\n", omp_get_max_threads(), 3.0*N*8/best/1e9, 2.0*N*8/bestc/1e9);
  return a[7]>0?0:1;
}
