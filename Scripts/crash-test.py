#!/usr/bin/env python3
"""Crash test of the zero-loss contract: several pynetdicom senders store new instances into
`lifeboat serve` while it is killed with SIGKILL at a random moment, over and over. After
each restart (which runs recovery), every instance any sender saw acknowledged must be in
the catalog with a blob whose SHA-256 matches its name and whose pixel data is what was
sent; every blob must have a catalog row, no catalog row may lack its blob, and staging
must be empty. Prints the count of trials and of instances checked; exits 1 on any breach.

Usage: crash-test.py LIFEBOAT_BINARY [--trials 20] [--senders 4] [--seed N]"""
import argparse, hashlib, os, random, socket, sqlite3, subprocess, sys, tempfile, threading, time
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--trials", type=int, default=20)
parser.add_argument("--senders", type=int, default=4)
parser.add_argument("--seed", type=int, default=int(time.time()))
args = parser.parse_args()
rng = random.Random(args.seed)

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def wait_listening(port, process, deadline=60):
    end = time.time() + deadline
    while time.time() < end:
        if process.poll() is not None:
            sys.exit(f"lifeboat serve exited with {process.returncode} on start:\n{process.stderr.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("lifeboat serve did not start listening")

def instance(pixels):
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID, ds.PatientName, ds.Modality = "CRASH", "Crash^Test", "CT"
    ds.Rows = ds.Columns = 128
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.PixelData = pixels
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds

acknowledged = {}  # SOP Instance UID -> SHA-256 of the pixel data sent
lock = threading.Lock()

def sender(port, stop, seed):
    local = random.Random(seed)
    ae = AE(ae_title="CRASHTEST")
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 5
    while not stop.is_set():
        assoc = ae.associate("127.0.0.1", port, ae_title="LIFEBOAT")
        if not assoc.is_established:
            return
        while assoc.is_established and not stop.is_set():
            pixels = local.randbytes(128 * 128 * 2)
            ds = instance(pixels)
            try:
                status = assoc.send_c_store(ds)
            except (ConnectionError, OSError, RuntimeError):
                return  # the server was killed under us
            if status and status.Status == 0x0000:
                with lock:
                    acknowledged[ds.SOPInstanceUID] = hashlib.sha256(pixels).hexdigest()
        assoc.release()

def check(data):
    failures = []
    db = sqlite3.connect(f"file:{data}/catalog.sqlite?mode=ro", uri=True)
    rows = db.execute("SELECT i.sopInstanceUID, v.blobHash FROM version v JOIN instance i ON v.instanceRef = i.id").fetchall()
    cataloged = {}
    for uid, blob in rows:
        cataloged.setdefault(uid, []).append(blob)
    blobs = set()
    for shard in os.listdir(f"{data}/blobs"):
        for name in os.listdir(f"{data}/blobs/{shard}"):
            blobs.add(name[:-4])
    for uid, pixels in acknowledged.items():
        if uid not in cataloged:
            failures.append(f"acknowledged {uid} is not in the catalog")
            continue
        blob = cataloged[uid][0]
        path = f"{data}/blobs/{blob[:2]}/{blob}.dcm"
        if not os.path.exists(path):
            failures.append(f"acknowledged {uid}: blob {blob} is missing")
            continue
        with open(path, "rb") as f:
            content = f.read()
        if hashlib.sha256(content).hexdigest() != blob:
            failures.append(f"acknowledged {uid}: blob {blob} does not hash to its name")
        ds = dcmread(path)
        if ds.SOPInstanceUID != uid or hashlib.sha256(ds.PixelData).hexdigest() != pixels:
            failures.append(f"acknowledged {uid}: blob {blob} holds other data")
    referenced = {blob for versions in cataloged.values() for blob in versions}
    failures += [f"blob {b} has no catalog row after recovery" for b in sorted(blobs - referenced)]
    failures += [f"catalog row for blob {b} whose file is missing" for b in sorted(referenced - blobs)]
    leftovers = os.listdir(f"{data}/tmp")
    if leftovers:
        failures.append(f"staging not empty after recovery: {leftovers}")
    return failures, len(rows)

with tempfile.TemporaryDirectory(prefix="lifeboat-crash-") as work:
    data = f"{work}/data"
    for trial in range(1, args.trials + 1):
        port = free_port()
        serve = subprocess.Popen([args.binary, "serve", "--data", data, "--dicom-port", str(port), "--http-port", "0"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_listening(port, serve)
        stop = threading.Event()
        threads = [threading.Thread(target=sender, args=(port, stop, rng.random())) for _ in range(args.senders)]
        for t in threads: t.start()
        time.sleep(rng.uniform(0.3, 2.5))
        serve.kill()
        serve.wait()
        stop.set()
        for t in threads: t.join()
        # Restart: recovery runs before the port opens.
        port = free_port()
        restarted = subprocess.Popen([args.binary, "serve", "--data", data, "--dicom-port", str(port), "--http-port", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_listening(port, restarted)
        restarted.terminate()
        _, errors = restarted.communicate()
        if b"missing from the blob store" in errors or b"critical" in errors:
            sys.exit(f"trial {trial}: the restarted server reports missing blobs:\n{errors.decode()}")
        failures, versions = check(data)
        print(f"trial {trial}: {len(acknowledged)} acknowledged so far, {versions} versions cataloged, "
              f"{'ok' if not failures else 'FAILED'}", flush=True)
        if failures:
            print("\n".join(failures[:20]))
            sys.exit(1)
    print(f"crash test passed: {args.trials} trials with SIGKILL, {len(acknowledged)} acknowledged instances checked "
          f"(seed {args.seed})")
