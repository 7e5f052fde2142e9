# Sends a C-STORE whose command names MR Image Storage but whose data set is the given
# (CT) file: the archive must refuse it with A900. Prints "STATUS ERROR-COMMENT".
# Usage: wrong_sop_class.py FILE PORT
import sys
from io import BytesIO
from pydicom import dcmread
from pynetdicom import AE
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.dsutils import encode
MR = "1.2.840.10008.5.1.4.1.1.4"
ae = AE(ae_title="WRONGCLASS")
ae.add_requested_context(MR, "1.2.840.10008.1.2.1")
ds = dcmread(sys.argv[1])  # a CT image, announced below as MR
assoc = ae.associate("127.0.0.1", int(sys.argv[2]), ae_title="LIFEBOAT")
request = C_STORE()
request.MessageID = 1
request.AffectedSOPClassUID = MR
request.AffectedSOPInstanceUID = ds.SOPInstanceUID
request.Priority = 2
request.DataSet = BytesIO(encode(ds, False, True))
assoc.dimse.send_msg(request, assoc.accepted_contexts[0].context_id)
_, response = assoc.dimse.get_msg(block=True)
print(f"{response.Status:04X} {response.ErrorComment or ''}")
assoc.release()
