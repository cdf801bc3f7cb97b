/*
 * replibuild's spawn helper (toolchain/spawner.ts speaks to it). Node's spawn forks the
 * calling process: each compile started from a daemon cost the daemon 0.7 ms of CPU, and
 * blocked it 0.8-2.3 ms (4 ms from a 160 MB process) until the child had exec'd, while
 * the compilers of a cold build held both cores. posix_spawn here is a vfork: 0.05 ms.
 *
 * Requests on stdin, answers on stdout, each frame a little-endian u32 length and then
 * its bytes. A request: u32 id, the program, the working directory, u32 argc and the
 * arguments after argv[0] (the program as named), u32 envc and the environment, each
 * string NUL-terminated. Answers: 'S' id pid (started), 'F' id errno (could not start),
 * 'E' id wait-status, u32 length and stdout, u32 length and stderr (ended: exited and
 * both pipes closed, as Node's 'close'). Each program runs in a session of its own
 * (setsid: its process group is what a cancel kills), stdin /dev/null, every signal at
 * its default and none blocked. EOF on stdin: the helper exits, leaving its
 * programs running (their runs end as killed on the daemon's side).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct buf {
  char *p;
  size_t len, cap;
};

static void buf_add(struct buf *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) abort();
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void buf_u32(struct buf *b, uint32_t v) {
  unsigned char le[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
  buf_add(b, le, 4);
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct child {
  uint32_t id;
  pid_t pid;
  int fd[2]; /* stdout, stderr; -1 once closed */
  struct buf out[2];
  int exited, status;
};

static struct child *kids;
static size_t nkids, capkids;
static int sigpipe_fd[2];

static void on_sigchld(int sig) {
  (void)sig;
  int e = errno;
  ssize_t r = write(sigpipe_fd[1], "x", 1);
  (void)r;
  errno = e;
}

/* The whole frame, or the helper's reader is gone and so is the helper. */
static void send_frame(struct buf *body) {
  struct buf f = {0};
  buf_u32(&f, (uint32_t)body->len);
  buf_add(&f, body->p, body->len);
  size_t off = 0;
  while (off < f.len) {
    ssize_t w = write(1, f.p + off, f.len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(0);
    off += (size_t)w;
  }
  free(f.p);
}

/* 'S' id pid, or 'F' id errno. */
static void answer(char kind, uint32_t id, uint32_t value) {
  struct buf b = {0};
  buf_add(&b, &kind, 1);
  buf_u32(&b, id);
  buf_u32(&b, value);
  send_frame(&b);
  free(b.p);
}

/* The program as execvpe would find it, looking in the PATH the program will have. */
static int locate(const char *program, char **env, char *out, size_t outlen) {
  if (strchr(program, '/')) {
    if (strlen(program) >= outlen) return ENAMETOOLONG;
    strcpy(out, program);
    return 0;
  }
  const char *path = NULL;
  for (char **e = env; e && *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  int found_err = ENOENT;
  while (*path) {
    const char *end = strchr(path, ':');
    size_t dlen = end ? (size_t)(end - path) : strlen(path);
    if (dlen + 1 + strlen(program) + 1 <= outlen) {
      if (dlen == 0) strcpy(out, ".");
      else {
        memcpy(out, path, dlen);
        out[dlen] = 0;
      }
      strcat(out, "/");
      strcat(out, program);
      struct stat st;
      if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
        if (access(out, X_OK) == 0) return 0;
        found_err = EACCES;
      }
    }
    if (!end) break;
    path = end + 1;
  }
  return found_err;
}

/* The next NUL-terminated string of a frame, and past it. */
static char *next_string(const char **s, const char *end) {
  char *str = (char *)*s;
  *s += strnlen(*s, (size_t)(end - *s)) + 1;
  return str;
}

/* A u32 count, then that many strings, into a NULL-terminated array with `skip` free
   slots before them; NULL when the frame ends first. */
static char **string_list(const char **s, const char *end, size_t skip) {
  if (*s + 4 > end) return NULL;
  uint32_t n = get_u32((const unsigned char *)*s);
  *s += 4;
  char **list = calloc(skip + (size_t)n + 1, sizeof(char *));
  if (!list) abort();
  for (uint32_t i = 0; i < n && *s < end; i++) list[skip + i] = next_string(s, end);
  return list;
}

static void start(const unsigned char *p, size_t len) {
  if (len < 4) return;
  uint32_t id = get_u32(p);
  const char *s = (const char *)p + 4, *end = (const char *)p + len;
  const char *program = next_string(&s, end);
  const char *cwd = next_string(&s, end);
  /* argv[0] is the program as it was named, as Node's spawn gives it. */
  char **argv = string_list(&s, end, 1);
  char **env = argv ? string_list(&s, end, 0) : NULL;
  if (!env) {
    free(argv);
    return answer('F', id, EINVAL);
  }
  argv[0] = (char *)program;
  uint32_t argc = 0;
  while (argv[argc + 1]) argc++;

  char path[4096];
  int err = locate(program, env, path, sizeof path);
  int out[2] = {-1, -1}, errp[2] = {-1, -1};
  pid_t pid = -1;
  if (!err && (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)) err = errno;
  if (!err) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    if (*cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    posix_spawnattr_init(&at);
    sigset_t none, dflt;
    sigemptyset(&none);
    /* Every signal at its default, as libuv (Node's spawn) sets them: one ignored by the
       daemon (SIGPIPE) or by whoever started it would otherwise reach the compiler so. */
    sigemptyset(&dflt);
    for (int sig = 1; sig < 32; sig++)
      if (sig != SIGKILL && sig != SIGSTOP) sigaddset(&dflt, sig);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    err = posix_spawn(&pid, path, &fa, &at, argv, env);
    if (err == ENOEXEC) {
      /* A script without a #! line runs in the shell, as execvp (and so Node) has it run. */
      char **shv = calloc((size_t)argc + 3, sizeof(char *));
      shv[0] = "/bin/sh";
      shv[1] = path;
      for (uint32_t i = 1; i <= argc; i++) shv[i + 1] = argv[i];
      err = posix_spawn(&pid, "/bin/sh", &fa, &at, shv, env);
      free(shv);
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
  }
  if (out[1] >= 0) close(out[1]);
  if (errp[1] >= 0) close(errp[1]);
  free(argv);
  free(env);
  if (err) {
    if (out[0] >= 0) close(out[0]);
    if (errp[0] >= 0) close(errp[0]);
    return answer('F', id, (uint32_t)err);
  }
  if (nkids == capkids) {
    capkids = capkids ? capkids * 2 : 16;
    kids = realloc(kids, capkids * sizeof *kids);
    if (!kids) abort();
  }
  struct child *k = &kids[nkids++];
  memset(k, 0, sizeof *k);
  k->id = id;
  k->pid = pid;
  k->fd[0] = out[0];
  k->fd[1] = errp[0];
  answer('S', id, (uint32_t)pid);
}

/* Answers for the children that have exited and whose pipes are closed. */
static void finish_done(void) {
  for (size_t i = 0; i < nkids;) {
    struct child *k = &kids[i];
    if (!k->exited || k->fd[0] >= 0 || k->fd[1] >= 0) {
      i++;
      continue;
    }
    struct buf b = {0};
    buf_add(&b, "E", 1);
    buf_u32(&b, k->id);
    buf_u32(&b, (uint32_t)k->status);
    for (int j = 0; j < 2; j++) {
      buf_u32(&b, (uint32_t)k->out[j].len);
      if (k->out[j].len) buf_add(&b, k->out[j].p, k->out[j].len);
      free(k->out[j].p);
    }
    send_frame(&b);
    free(b.p);
    kids[i] = kids[--nkids];
  }
}

static void reap(void) {
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) return;
    for (size_t i = 0; i < nkids; i++)
      if (kids[i].pid == pid) {
        kids[i].exited = 1;
        kids[i].status = st;
      }
  }
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (pipe2(sigpipe_fd, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  struct buf in = {0};
  int stdin_open = 1;
  struct pollfd *pf = NULL;
  size_t cappf = 0;
  char chunk[65536];
  while (stdin_open) {
    size_t need = 2 + nkids * 2;
    if (need > cappf) {
      cappf = need * 2;
      pf = realloc(pf, cappf * sizeof *pf);
      if (!pf) abort();
    }
    size_t n = 0;
    pf[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    pf[n++] = (struct pollfd){.fd = sigpipe_fd[0], .events = POLLIN};
    for (size_t i = 0; i < nkids; i++)
      for (int j = 0; j < 2; j++)
        if (kids[i].fd[j] >= 0) pf[n++] = (struct pollfd){.fd = kids[i].fd[j], .events = POLLIN};
    if (poll(pf, n, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (pf[1].revents) {
      while (read(sigpipe_fd[0], chunk, sizeof chunk) > 0) {
      }
      reap();
    }
    /* Children's output before new requests: a slot's end is what frees the next start. */
    for (size_t f = 2; f < n; f++) {
      if (!pf[f].revents) continue;
      for (size_t i = 0; i < nkids; i++)
        for (int j = 0; j < 2; j++) {
          if (kids[i].fd[j] != pf[f].fd) continue;
          ssize_t r = read(pf[f].fd, chunk, sizeof chunk);
          if (r > 0) buf_add(&kids[i].out[j], chunk, (size_t)r);
          else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(kids[i].fd[j]);
            kids[i].fd[j] = -1;
          }
        }
    }
    reap();
    finish_done();
    if (pf[0].revents) {
      ssize_t r = read(0, chunk, sizeof chunk);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) stdin_open = 0;
      else if (r > 0) buf_add(&in, chunk, (size_t)r);
      size_t off = 0;
      while (in.len - off >= 4) {
        uint32_t flen = get_u32((unsigned char *)in.p + off);
        if (in.len - off - 4 < flen) break;
        start((unsigned char *)in.p + off + 4, flen);
        off += 4 + flen;
      }
      if (off) {
        memmove(in.p, in.p + off, in.len - off);
        in.len -= off;
      }
    }
  }
  return 0;
}
