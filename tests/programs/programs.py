"""The suite of public PyTorch programs: where each comes from, how it is run small, and which
lines of its output are compared.

The programs' text is not part of this repository: each is looked up, verbatim, under the
directory named by ``MINIGRAD_PROGRAM_SOURCES`` (default: ``tests/programs/sources/``, ignored
by git), laid out as ``<owner>/<repo>/<path>`` at the commit given here, and checked against
its SHA-256 before it runs. SOURCES.md says how to fill that directory. A program whose source
is absent is skipped.

Sizes are made small through each program's own command-line arguments, and data it would
download is replaced by the stand-ins in ``stubs/`` (synthetic MNIST and FakeData) or by files
that ``setup`` writes into the run's working directory.
"""
from __future__ import annotations

import dataclasses
import os
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
# absolute: the programs run in their own working directories
SOURCES = os.path.abspath(os.environ.get("MINIGRAD_PROGRAM_SOURCES", os.path.join(HERE, "sources")))

EXAMPLES = ("pytorch/examples", "77f55b912142e11fcfdf5b530231fb9c52f181e8")
TUTORIAL = ("yunjey/pytorch-tutorial", "0500d3df5a2a8080ccfccbc00aca0eacc21818db")
WITH_EXAMPLES = ("jcjohnson/pytorch-examples", "0003fcdc606a79951e53bf8f46f8574fa4739f23")
MINGPT = ("karpathy/minGPT", "37baab71b9abea1b76ab957409a1cc2fbfba8a26")
NANOGPT = ("karpathy/nanoGPT", "3adf61e154c3fe3fca428ad6bc3818b27a3b8291")

# the first 16 hex digits of each file's SHA-256 (enough to notice any edit)
SHA256 = {
    "dcgan/main.py": "4f6aef3527822a32",
    "fast_neural_style/neural_style/neural_style.py": "8d8beb57fe24e71c",
    "fast_neural_style/neural_style/transformer_net.py": "cd280fd7b3489581",
    "fast_neural_style/neural_style/utils.py": "aa1029dcb69e6047",
    "fast_neural_style/neural_style/vgg.py": "46809081c63f6971",
    "distributed/ddp/example.py": "a261723f015d6bce",
    "gat/main.py": "9496f0ab2aa58666",
    "gcn/main.py": "152157088c7ac6c0",
    "mnist/main.py": "30a3359d1911d2d8",
    "mnist_forward_forward/main.py": "564b744cfaaf3b9c",
    "mnist_rnn/main.py": "ebd462cfda1fc8ac",
    "regression/main.py": "87ba43405ca6df6e",
    "time_sequence_prediction/train.py": "3a5d6603cecf7bbf",
    "siamese_network/main.py": "3d02a5162bfade18",
    "super_resolution/data.py": "7eebeb0f86e9b12d",
    "super_resolution/dataset.py": "a831be1fbd0bb379",
    "super_resolution/main.py": "acdcf648d0da4f5c",
    "super_resolution/model.py": "02edbd87555c4a99",
    "vae/main.py": "366116e8252ac68e",
    "word_language_model/data.py": "15784815a6bd18e9",
    "word_language_model/main.py": "391de12bb7c6e07d",
    "word_language_model/model.py": "e4451a33e9b16953",
    "tutorials/01-basics/feedforward_neural_network/main.py": "d7eaa8ea62b3063c",
    "tutorials/01-basics/linear_regression/main.py": "dc0db1d101ee3f31",
    "tutorials/01-basics/logistic_regression/main.py": "017a7868cc0f6ae3",
    "tutorials/02-intermediate/bidirectional_recurrent_neural_network/main.py": "d1fa01a10450f905",
    "tutorials/02-intermediate/convolutional_neural_network/main.py": "2d5b1aeec7e17307",
    "tutorials/02-intermediate/language_model/data_utils.py": "0e8cdf0729b5b282",
    "tutorials/02-intermediate/language_model/main.py": "4edc4e08c34d3cb4",
    "tutorials/02-intermediate/recurrent_neural_network/main.py": "d273653d77f90642",
    "tutorials/03-advanced/variational_autoencoder/main.py": "3bb5947bbc8bebbf",
    "autograd/two_layer_net_autograd.py": "814a58cb944451e8",
    "autograd/two_layer_net_custom_function.py": "b8a083786569c624",
    "nn/dynamic_net.py": "86e92f0f0cd4d195",
    "nn/two_layer_net_module.py": "d7634b2c14b71ac7",
    "nn/two_layer_net_nn.py": "99c548dc3de1bc95",
    "nn/two_layer_net_optim.py": "cb211e45e016fcf7",
    "tensor/two_layer_net_tensor.py": "21a182cb4cc4b689",
    "mingpt/__init__.py": "e3b0c44298fc1c14",
    "mingpt/model.py": "3586d4a957722864",
    "mingpt/trainer.py": "7e28e58add6f998e",
    "mingpt/utils.py": "243dd4f91c68ea45",
    "projects/adder/adder.py": "403acba17f6579fd",
    "projects/chargpt/chargpt.py": "93ee65b43dc65a0e",
    "configurator.py": "5cc23aca26b4ab3c",
    "model.py": "7c01703240dbec5d",
    "train.py": "413bd97b40bb400a",
}


@dataclasses.dataclass
class Program:
    name: str
    repo: tuple                      # (owner/name, commit)
    path: str                        # the program, inside the repository
    files: tuple = ()                # the other files of the repository it imports or reads
    args: tuple = ()                 # its own command-line arguments, to make the run small
    setup: str = ""                  # Python run in the working directory first (stand-in data)
    env: dict = dataclasses.field(default_factory=dict)
    sys_path: tuple = ()             # repository folders the program imports packages from
    keep: str = r"."                 # a regex: the output lines compared (others: timings, paths)
    ignore: str = ""                 # a regex: parts of kept lines left out (timings)
    max_lines: int = 0               # compare only the first kept lines (0: all)
    rtol: float = 2e-5               # numbers in kept lines agree to this (float32 rounding)
    slow: bool = False
    xfail: str = ""                  # the missing minigrad feature, while it is missing

    def file(self, path=None) -> str:
        """A file of the program's repository (the program itself by default; "" is the repository's root)."""
        return os.path.join(SOURCES, self.repo[0], self.path if path is None else path)

    @property
    def needed(self) -> tuple:
        return (self.path, *self.files)


_TEXT_CORPUS = textwrap.dedent("""\
    the quick brown fox jumps over the lazy dog
    a stitch in time saves nine and the early bird catches the worm
    all that glitters is not gold but the fox is quick and the dog is lazy
    """)

# the word language models read <dir>/{train,valid,test}.txt
WORD_LM_DATA = ("import os\nos.makedirs('corpus', exist_ok=True)\n"
                "for split, k in (('train', 6), ('valid', 2), ('test', 2)):\n"
                f"    open(os.path.join('corpus', split + '.txt'), 'w').write({_TEXT_CORPUS!r} * k)\n")
# the tutorial's language model reads data/train.txt (Penn Treebank)
PTB_DATA = ("import os\nos.makedirs('data', exist_ok=True)\n"
            f"open(os.path.join('data', 'train.txt'), 'w').write({_TEXT_CORPUS!r} * 25)\n")
# minGPT's char model reads input.txt, and samples from the context "O God, O God!" (its letters must occur)
CHAR_DATA = f"open('input.txt', 'w').write({_TEXT_CORPUS + 'O God, O God!' + chr(10)!r} * 8)\n"
# the graph networks read (or download) cora/cora.{content,cites}: a synthetic graph (stubs/cora_standin.py)
CORA_DATA = "import cora_standin\ncora_standin.write('.')\n"
# the super-resolution example reads dataset/BSDS300/images/{train,test} (or downloads them)
BSDS_DATA = "import image_standin\nimage_standin.bsds300('dataset')\n"
# fast neural style trains on an ImageFolder (here 4 photographs, 40 x 36) towards one style image
STYLE_DATA = ("import image_standin\nimage_standin.folder('photos/all', 4, 36, 40)\n"
              "image_standin.folder('.', 1, 24, 24, seed=5, prefix='style')\n")
# the time-sequence example reads traindata.pt, which its generate_sine_wave.py writes with torch.save: a
# NumPy array of N sine waves of length L; the same formula, with N = 8 and L = 120 instead of 100 and 1000
SINE_DATA = textwrap.dedent("""\
    import numpy as np, torch
    np.random.seed(2)
    T, L, N = 20, 120, 8
    x = np.empty((N, L), 'int64')
    x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
    torch.save(np.sin(x / 1.0 / T).astype('float64'), open('traindata.pt', 'wb'))
    """)
# nanoGPT reads configurator.py from its working directory and data/<dataset>/{train,val}.bin, meta.pkl
NANOGPT_DATA = textwrap.dedent("""\
    import os, pickle, shutil
    import numpy as np
    shutil.copy(os.path.join(os.environ["PROGRAM_DIR"], "configurator.py"), ".")
    os.makedirs(os.path.join("data", "shakespeare_char"), exist_ok=True)
    text = ("First Citizen: Before we proceed any further, hear me speak.\\n"
            "All: Speak, speak.\\nFirst Citizen: You are all resolved rather to die than to famish?\\n") * 12
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = np.array([stoi[c] for c in text], dtype=np.uint16)
    cut = int(len(ids) * 0.9)
    ids[:cut].tofile(os.path.join("data", "shakespeare_char", "train.bin"))
    ids[cut:].tofile(os.path.join("data", "shakespeare_char", "val.bin"))
    with open(os.path.join("data", "shakespeare_char", "meta.pkl"), "wb") as f:
        pickle.dump({"vocab_size": len(chars), "itos": dict(enumerate(chars)), "stoi": stoi}, f)
    """)

MNIST_10K = {"PROGRAM_MNIST_TRAIN": "10000", "PROGRAM_MNIST_TEST": "500"}   # 100 batches of 100 per epoch
SMALL_LM = ("--emsize", "16", "--nhid", "16", "--epochs", "1", "--batch_size", "4", "--bptt", "5",
            "--log-interval", "2", "--nhead", "2", "--data", "corpus")
TIMINGS = r"\([\d.]+s\)|ms/batch\s+[\d.]+|time:\s+[\d.]+s|time [\d.]+ms|mfu -?[\d.]+%|iter_dt [\d.]+ms"
MINGPT_SMALL = ("--model.model_type=None", "--model.n_layer=2", "--model.n_head=2", "--model.n_embd=16",
                "--trainer.max_iters=21", "--trainer.batch_size=4", "--trainer.num_workers=0")

PROGRAMS = [
    # -- pytorch/examples ------------------------------------------------------------------------
    Program("regression", EXAMPLES, "regression/main.py",
            # trains until the loss is below 1e-3: in float64 both runs take the same path there
            env={"PROGRAM_DEFAULT_DTYPE": "float64"}, slow=True),
    Program("mnist", EXAMPLES, "mnist/main.py",
            args=("--epochs", "1", "--log-interval", "1", "--test-batch-size", "64"), slow=True),
    Program("vae", EXAMPLES, "vae/main.py",
            args=("--epochs", "1", "--batch-size", "64", "--log-interval", "1"),
            setup="import os; os.makedirs('results')", slow=True),
    Program("dcgan", EXAMPLES, "dcgan/main.py",   # two DataLoader worker processes (its default)
            args=("--dataset", "fake", "--batchSize", "4", "--imageSize", "64", "--nz", "8", "--ngf", "4",
                  "--ndf", "4", "--niter", "1", "--dry-run", "--manualSeed", "3"), slow=True),
    Program("mnist_rnn", EXAMPLES, "mnist_rnn/main.py",
            args=("--epochs", "1", "--log-interval", "1", "--test-batch-size", "64")),
    Program("mnist_forward_forward", EXAMPLES, "mnist_forward_forward/main.py",
            args=("--epochs", "2", "--train_size", "64", "--test_size", "32"), slow=True),
    Program("word_language_model_lstm", EXAMPLES, "word_language_model/main.py",
            files=("word_language_model/data.py", "word_language_model/model.py"),
            args=("--model", "LSTM", *SMALL_LM), setup=WORD_LM_DATA, ignore=TIMINGS),
    Program("word_language_model_gru", EXAMPLES, "word_language_model/main.py",
            files=("word_language_model/data.py", "word_language_model/model.py"),
            args=("--model", "GRU", *SMALL_LM), setup=WORD_LM_DATA, ignore=TIMINGS, slow=True),
    Program("word_language_model_transformer", EXAMPLES, "word_language_model/main.py",
            files=("word_language_model/data.py", "word_language_model/model.py"),
            args=("--model", "Transformer", *SMALL_LM), setup=WORD_LM_DATA, ignore=TIMINGS,
            rtol=2e-4),   # it prints exp(loss): a float32 loss difference of 1e-4 becomes 1e-4 relative
    Program("gcn", EXAMPLES, "gcn/main.py",   # downloads cora.tgz: served by stubs/requests.py
            args=("--epochs", "3", "--val-every", "1"), ignore=TIMINGS),
    Program("gat", EXAMPLES, "gat/main.py", args=("--epochs", "3", "--val-every", "1", "--hidden-dim", "8",
                                                  "--num-heads", "2"),
            setup=CORA_DATA, ignore=TIMINGS),
    Program("super_resolution", EXAMPLES, "super_resolution/main.py",   # saves the whole model: torch.save(model)
            files=("super_resolution/data.py", "super_resolution/dataset.py", "super_resolution/model.py"),
            args=("--upscale_factor", "3", "--batchSize", "4", "--testBatchSize", "2", "--nEpochs", "1", "--lr", "0.001",
                  "--threads", "2"), setup=BSDS_DATA),
    Program("time_sequence_prediction", EXAMPLES, "time_sequence_prediction/train.py",   # LSTMCell, LBFGS
            # its data file holds a NumPy array, which torch >= 2.6 loads only with the full (unsafe) load
            args=("--steps", "2"), setup=SINE_DATA, env={"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, slow=True),
    Program("fast_neural_style", EXAMPLES, "fast_neural_style/neural_style/neural_style.py",
            files=("fast_neural_style/neural_style/utils.py", "fast_neural_style/neural_style/transformer_net.py",
                   "fast_neural_style/neural_style/vgg.py"),
            args=("train", "--dataset", "photos", "--style-image", "style000.png", "--save-model-dir", "models",
                  "--epochs", "1", "--batch-size", "2", "--image-size", "32", "--log-interval", "1"),
            setup=STYLE_DATA, slow=True, ignore=r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}|\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d"),
    Program("siamese_network", EXAMPLES, "siamese_network/main.py",   # ResNet-18 (torchvision's, untrained)
            args=("--epochs", "1", "--batch-size", "16", "--test-batch-size", "32", "--log-interval", "1"),
            # (its pairs draw a second image of a class until it differs: every class needs two)
            env={"PROGRAM_MNIST_TRAIN": "64", "PROGRAM_MNIST_TEST": "64"},
            # float32 rounding in the BatchNorms of 1 x 1 maps (batch 16) grows a hundredfold per
            # Adadelta step (lr 1): the first loss agrees to 3e-6, the second to 4e-4, then they part.
            # (The same network and steps in float64 from the same weights agree to 1e-14.)
            keep=r"Loss:", max_lines=2, rtol=1e-3, slow=True),
    # imports torch.distributed and DistributedDataParallel, asks torch.accelerator for two devices, and
    # on a CPU-only machine says so and exits, as under torch
    Program("distributed_ddp", EXAMPLES, "distributed/ddp/example.py"),
    # -- yunjey/pytorch-tutorial ---------------------------------------------------------------
    Program("tutorial_linear_regression", TUTORIAL, "tutorials/01-basics/linear_regression/main.py", slow=True),
    Program("tutorial_logistic_regression", TUTORIAL, "tutorials/01-basics/logistic_regression/main.py",
            env=MNIST_10K, slow=True),
    Program("tutorial_vae", TUTORIAL, "tutorials/03-advanced/variational_autoencoder/main.py",
            env={"PROGRAM_MNIST_TRAIN": "1280"}, slow=True),
    # -- jcjohnson/pytorch-examples ("Learning PyTorch with Examples"): 500 steps each, printing
    # every loss; float32 rounding differences grow to 1e-4 of the loss after 200 steps (the
    # loss falls from 1e7 to 1e-5), so the first 100 steps are compared
    *[Program(f"learning_{name.split('/')[1]}", WITH_EXAMPLES, f"{name}.py", max_lines=100,
              slow=name != "nn/two_layer_net_nn")
      for name in ("tensor/two_layer_net_tensor", "autograd/two_layer_net_autograd",
                   "autograd/two_layer_net_custom_function", "nn/two_layer_net_nn", "nn/two_layer_net_optim",
                   "nn/two_layer_net_module", "nn/dynamic_net")],
    # -- karpathy/minGPT, karpathy/nanoGPT ---------------------------------------------------------
    Program("mingpt_chargpt", MINGPT, "projects/chargpt/chargpt.py",
            files=("mingpt/__init__.py", "mingpt/model.py", "mingpt/trainer.py", "mingpt/utils.py"),
            sys_path=("",), args=(*MINGPT_SMALL, "--data.block_size=16"), setup=CHAR_DATA, ignore=TIMINGS,
            ),
    Program("mingpt_adder", MINGPT, "projects/adder/adder.py",
            files=("mingpt/__init__.py", "mingpt/model.py", "mingpt/trainer.py", "mingpt/utils.py"),
            sys_path=("",), args=(*MINGPT_SMALL, "--data.ndigit=1"), ignore=TIMINGS,
            ),
    Program("nanogpt_train", NANOGPT, "train.py", files=("model.py", "configurator.py"),
            args=("--dataset=shakespeare_char", "--device=cpu", "--compile=False", "--dtype=float32",
                  "--eval_iters=2", "--eval_interval=4", "--log_interval=1", "--block_size=16", "--batch_size=4",
                  "--n_layer=2", "--n_head=2", "--n_embd=16", "--max_iters=8", "--lr_decay_iters=8",
                  "--warmup_iters=2", "--dropout=0.0", "--gradient_accumulation_steps=2"),
            setup=NANOGPT_DATA, ignore=TIMINGS),
]
