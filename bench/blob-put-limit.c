/*
 * The limit a blob PUT is measured against (bench/blob-http-bench.ts): the
 * least a server can do with an upload on this machine, in C, one thread.
 *   blob-put-limit <mode> <dir>      mode: discard | write | write-sha256
 * Listens on a free loopback port (printed on stdout), and answers every
 * HTTP/1.1 PUT with a Content-Length (keep-alive, one connection at a time)
 * with 201 after reading its body in 64 KiB reads (what Node's HTTP server
 * reads at a time), and:
 *   discard       dropping it: the socket's own cost
 *   write         write(2)ing each read to a new file in <dir>, kept, as a
 *                 blob is: + the copy into the page cache
 *   write-sha256  and hashing it with the system libcrypto's SHA-256 right
 *                 after: + the hash that names a blob
 * No fsync: the page-cache limit, as `--fsync normal` answers before the disk.
 *
 *   blob-put-limit touch <MiB>
 * prints {"firstTouchMsPerMiB", "secondTouchMsPerMiB"}: memset of fresh
 * anonymous memory, then again over the same pages. The first includes
 * what the kernel (and, in a VM, the host) does to hand out a page, which a
 * growing page cache pays as well.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_BYTES 65536

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* One request on connection c; 0 when the peer closed it, -1 on an error. */
static int serve_one(int c, int mode, const char *dir, int seq, char *buf) {
  size_t have = 0;
  char *end = NULL;
  while (end == NULL) {
    if (have >= READ_BYTES) return -1;
    ssize_t n = read(c, buf + have, READ_BYTES - have);
    if (n <= 0) return have == 0 && n == 0 ? 0 : -1;
    have += (size_t)n;
    buf[have] = 0;
    end = strstr(buf, "\r\n\r\n");
  }
  const char *cl = strcasestr(buf, "\r\ncontent-length:");
  if (cl == NULL) return -1;
  long long length = atoll(cl + 17);
  size_t head = (size_t)(end + 4 - buf);
  long long got = (long long)(have - head);
  int fd = -1;
  EVP_MD_CTX *md = NULL;
  char path[4096];
  if (mode >= 1) {
    snprintf(path, sizeof path, "%s/put-%d", dir, seq);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
  }
  if (mode == 2) {
    md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
  }
  const char *p = buf + head;
  size_t n = (size_t)got;
  for (;;) {
    if (n > 0 && fd >= 0 && write_all(fd, p, n) != 0) return -1;
    if (n > 0 && md != NULL) EVP_DigestUpdate(md, p, n);
    if (got >= length) break;
    size_t want = length - got < READ_BYTES ? (size_t)(length - got) : READ_BYTES;
    ssize_t r = read(c, buf, want);
    if (r <= 0) return -1;
    got += r;
    p = buf;
    n = (size_t)r;
  }
  if (md != NULL) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len;
    EVP_DigestFinal_ex(md, digest, &len);
    EVP_MD_CTX_free(md);
  }
  if (fd >= 0) close(fd);
  const char *reply = "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
  return write_all(c, reply, strlen(reply)) == 0 ? 1 : -1;
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int touch(size_t mib) {
  size_t bytes = mib << 20;
  char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  double t0 = seconds();
  memset(p, 1, bytes);
  double t1 = seconds();
  memset(p, 2, bytes);
  double t2 = seconds();
  printf("{\"firstTouchMsPerMiB\":%.3f,\"secondTouchMsPerMiB\":%.3f}\n", (t1 - t0) * 1000 / (double)mib, (t2 - t1) * 1000 / (double)mib);
  munmap(p, bytes);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "touch") == 0) return touch((size_t)atol(argv[2]));
  if (argc < 3) {
    fprintf(stderr, "usage: blob-put-limit discard|write|write-sha256 <dir> | touch <MiB>\n");
    return 2;
  }
  int mode = strcmp(argv[1], "discard") == 0 ? 0 : strcmp(argv[1], "write") == 0 ? 1 : strcmp(argv[1], "write-sha256") == 0 ? 2 : -1;
  if (mode < 0) return 2;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(s, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s, 8) != 0 ||
      getsockname(s, (struct sockaddr *)&addr, &len) != 0) {
    perror("listen");
    return 1;
  }
  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  char *buf = malloc(READ_BYTES + 1);
  int seq = 0;
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    while (serve_one(c, mode, argv[2], seq++, buf) > 0) {}
    close(c);
  }
}
