package crashtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// galeraProvider is Debian's galera-4 library, which mariadbd loads to join a cluster.
const galeraProvider = "/usr/lib/galera/libgalera_smm.so"

// galera is a private 3-node MariaDB Galera cluster on 127.0.0.1: every node
// on free ports, in a folder of its own under /tmp (rsync SST runs as user
// mysql, so the folders' parents must be open to it), killed and removed at cleanup.
type galera struct {
	t     *testing.T
	dir   string
	name  string
	nodes []*galeraNode
	// synced is how long the three nodes took to start and reach Synced.
	synced time.Duration
}

type galeraNode struct {
	i                     int // 1, 2, 3
	data                  string
	port, gcomm, ist, sst int
	srv                   *exec.Cmd
	exited                chan struct{}
	log                   string // the server's output, read when it fails to start
}

// needGalera skips without mariadbd, galera-4 or rsync, except under CI=true, where it fails.
func needGalera(t *testing.T) {
	var missing []string
	for _, cmd := range []string{"mariadbd", "mariadb-install-db", "rsync"} {
		if _, err := exec.LookPath(cmd); err != nil {
			missing = append(missing, cmd)
		}
	}
	if _, err := os.Stat(galeraProvider); err != nil {
		missing = append(missing, galeraProvider+" (galera-4)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "a Galera cluster needs " + strings.Join(missing, ", ") + " (apt-get install galera-4 rsync mariadb-server)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// startGalera installs and starts three nodes, the first bootstrapping the
// cluster, and waits until each is Synced; then it adds user kam for TCP.
func startGalera(t *testing.T) *galera {
	needGalera(t)
	dir, err := os.MkdirTemp("/tmp", "kam-galera-")
	must(t, err)
	must(t, os.Chmod(dir, 0o755))
	g := &galera{t: t, dir: dir, name: filepath.Base(dir)}
	t.Cleanup(g.stop)
	ports := freePorts(t, 12)
	for i := range 3 {
		n := &galeraNode{i: i + 1, data: filepath.Join(dir, fmt.Sprintf("node%d", i+1)),
			port: ports[4*i], gcomm: ports[4*i+1], ist: ports[4*i+2], sst: ports[4*i+3]}
		install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+n.data, "--user=mysql",
			"--auth-root-authentication-method=socket", "--skip-test-db")
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("mariadb-install-db node %d: %v\n%s", n.i, err, out)
		}
		g.nodes = append(g.nodes, n)
	}
	if out, err := exec.Command("chown", "-R", "mysql:mysql", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown %s: %v\n%s", dir, err, out)
	}
	began := time.Now()
	for _, n := range g.nodes {
		// galera-4 now and then aborts at start (Failed to set thread schedparams … No such process), before it joins: start it again.
		for try := 1; !g.start(n, try == 3); try++ {
			g.t.Logf("Galera node %d exited while starting; starting it again", n.i)
		}
	}
	g.synced = time.Since(began)
	root := g.root(1)
	defer root.Close()
	for _, q := range []string{"CREATE USER kam@'%' IDENTIFIED BY 'kam'", "GRANT ALL ON *.* TO kam@'%'"} {
		if _, err := root.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Logf("Galera cluster %s: 3 nodes Synced in %.1f s (ports %d, %d, %d)", g.name, g.synced.Seconds(),
		g.nodes[0].port, g.nodes[1].port, g.nodes[2].port)
	return g
}

func freePorts(t *testing.T, n int) []int {
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// start starts node n and waits until it is Synced; false when it exited
// while starting (a test failure instead when last).
func (g *galera) start(n *galeraNode, last bool) bool {
	var peers []string
	for _, p := range g.nodes {
		peers = append(peers, "127.0.0.1:"+strconv.Itoa(p.gcomm))
	}
	args := []string{"--no-defaults", "--user=mysql", "--datadir=" + n.data, "--port=" + strconv.Itoa(n.port),
		"--socket=" + filepath.Join(n.data, "s.sock"), "--bind-address=127.0.0.1", "--innodb-buffer-pool-size=64M",
		"--binlog_format=ROW", "--default_storage_engine=InnoDB", "--innodb_autoinc_lock_mode=2",
		"--wsrep_on=ON", "--wsrep_provider=" + galeraProvider, "--wsrep_cluster_name=" + g.name,
		"--wsrep_cluster_address=gcomm://" + strings.Join(peers, ","),
		"--wsrep_node_address=127.0.0.1:" + strconv.Itoa(n.gcomm), "--wsrep_sst_method=rsync",
		fmt.Sprintf("--wsrep_provider_options=gmcast.listen_addr=tcp://127.0.0.1:%d;ist.recv_addr=127.0.0.1:%d", n.gcomm, n.ist),
		"--wsrep_sst_receive_address=127.0.0.1:" + strconv.Itoa(n.sst)}
	if n.i == 1 {
		args = append(args, "--wsrep-new-cluster")
	}
	n.log = filepath.Join(g.dir, fmt.Sprintf("node%d.log", n.i))
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	must(g.t, err)
	n.srv = exec.Command("mariadbd", args...)
	n.srv.Stdout, n.srv.Stderr = logf, logf
	n.srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its SST helpers (rsync) die with it
	must(g.t, n.srv.Start())
	logf.Close()
	n.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); close(exited) }(n.srv, n.exited)
	deadline := time.Now().Add(120 * time.Second)
	for {
		state, err := g.state(n)
		if state == "Synced" {
			return true
		}
		select {
		case <-n.exited:
			n.srv = nil
			b, _ := os.ReadFile(n.log)
			if !last {
				return false
			}
			g.t.Fatalf("Galera node %d exited while starting:\n%s", n.i, tail(b, 3000))
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(n.log)
			g.t.Fatalf("Galera node %d not Synced after 120 s (state %q, %v):\n%s", n.i, state, err, tail(b, 3000))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// state is the node's wsrep_local_state_comment (Synced, Joining, …), asked through its socket.
func (g *galera) state(n *galeraNode) (string, error) {
	db, err := sql.Open("mysql", "root@unix("+filepath.Join(n.data, "s.sock")+")/")
	if err != nil {
		return "", err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var name, value string
	err = db.QueryRowContext(ctx, "SHOW STATUS LIKE 'wsrep_local_state_comment'").Scan(&name, &value)
	return value, err
}

// root is an administrator's connection to node i (1-based), through its socket.
func (g *galera) root(i int) *sql.DB {
	db, err := sql.Open("mysql", "root@unix("+filepath.Join(g.nodes[i-1].data, "s.sock")+")/?parseTime=true")
	must(g.t, err)
	return db
}

// dsn is kam's DSN of node i (1-based), without database.
func (g *galera) dsn(i int) string {
	return fmt.Sprintf("kam:kam@tcp(127.0.0.1:%d)/?parseTime=true", g.nodes[i-1].port)
}

// kill SIGKILLs node i's server, as a machine lost would stop it.
func (g *galera) kill(i int) {
	n := g.nodes[i-1]
	if n.srv == nil {
		return
	}
	_ = syscall.Kill(-n.srv.Process.Pid, syscall.SIGKILL)
	<-n.exited
	n.srv = nil
}

func (g *galera) stop() {
	if g.t.Failed() { // what each live node says, before they go
		for _, n := range g.nodes {
			if n.srv == nil {
				continue
			}
			db := g.root(n.i)
			for _, q := range []string{"SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_status', 'wsrep_cluster_size', 'wsrep_local_state_comment')",
				"SELECT trx_id, trx_state, trx_started, trx_mysql_thread_id, trx_query, trx_rows_locked FROM information_schema.innodb_trx",
				"SELECT ID, USER, DB, COMMAND, TIME, STATE, INFO FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Sleep'"} {
				g.t.Logf("node %d: %s:\n%s", n.i, q, dump(db, q))
			}
			db.Close()
		}
	}
	for _, n := range g.nodes {
		g.kill(n.i)
	}
	for _, n := range g.nodes {
		b, err := os.ReadFile(n.log)
		if err != nil {
			continue
		}
		if dir := os.Getenv("KAM_CLUSTER_LOGS"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, filepath.Base(n.log)), b, 0o644)
		}
		if g.t.Failed() {
			g.t.Logf("node %d's log ends:\n%s", n.i, tail(b, 2000))
		}
	}
	_ = os.RemoveAll(g.dir)
}

// status is a global status variable of node i, read through its socket.
func (g *galera) status(i int, name string) int64 {
	db := g.root(i)
	defer db.Close()
	var k, v string
	must(g.t, db.QueryRow("SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&k, &v))
	n, err := strconv.ParseInt(v, 10, 64)
	must(g.t, err)
	return n
}

// statusText is a global status variable of node i that is text (wsrep_cluster_status: Primary).
func (g *galera) statusText(i int, name string) string {
	db := g.root(i)
	defer db.Close()
	var k, v string
	must(g.t, db.QueryRow("SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&k, &v))
	return v
}

// variable is a global variable of node i.
func (g *galera) variable(i int, name string) string {
	db := g.root(i)
	defer db.Close()
	var k, v string
	must(g.t, db.QueryRow("SHOW GLOBAL VARIABLES LIKE '"+name+"'").Scan(&k, &v))
	return v
}

// dump is a query's rows as text, for a failure's log.
func dump(db *sql.DB, q string) string {
	rows, err := db.Query(q)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err.Error()
		}
		for i, v := range vals {
			fmt.Fprintf(&b, "%s=%s ", cols[i], v.String)
		}
		b.WriteString("\n")
	}
	return b.String()
}
